import { OpenApiDocument, OpenApiRequestValidator } from '@audiencekit/connector-sdk/testing';
import api from '../../spec/twilio_api_v2010.operations.json';

/** Twilio's own OpenAPI operations the connector uses (extracted from twilio/twilio-oai; see ../../spec/README.md). */
export const TWILIO_SPEC_DOCUMENTS = [api] as unknown as OpenApiDocument[];

/** A request validator over Twilio's OpenAPI extract. */
export function twilioSpecValidator(): OpenApiRequestValidator {
  return new OpenApiRequestValidator(TWILIO_SPEC_DOCUMENTS);
}
