import { OpenApiDocument, OpenApiRequestValidator } from '@audiencekit/connector-sdk/testing';
import mail from '../../spec/tsg_mail_v3.operations.json';
import contacts from '../../spec/tsg_mc_contacts_v3.operations.json';
import lists from '../../spec/tsg_mc_lists_v3.operations.json';
import scopes from '../../spec/tsg_scopes_v3.operations.json';

/** SendGrid's own OpenAPI operations the connectors use (extracted from twilio/sendgrid-oai; see ../../spec/README.md). */
export const SENDGRID_SPEC_DOCUMENTS = [scopes, lists, contacts, mail] as unknown as OpenApiDocument[];

/** A request validator over SendGrid's OpenAPI extracts. */
export function sendgridSpecValidator(): OpenApiRequestValidator {
  return new OpenApiRequestValidator(SENDGRID_SPEC_DOCUMENTS);
}
