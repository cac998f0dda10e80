import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { webhook } from '@audiencekit/plugin-webhook';
import { googleAdsConnector } from '@audiencekit/plugin-google-ads';
import { metaAdsConnector } from '@audiencekit/plugin-meta-ads';
import { sendgridContacts, sendgridEmail } from '@audiencekit/plugin-sendgrid';
import { twilioSms } from '@audiencekit/plugin-twilio';
// connector imports: one line per plugin above this marker (the connector generator appends here)

/**
 * Every connector this build ships: the one explicit registry of plugins/ (STYLE.md). A test fails
 * when a folder under plugins/ has no line here. Which of them a server enables is `AK_CONNECTORS`.
 */
export const REGISTERED_CONNECTORS: readonly AnyConnectorDefinition[] = [
  webhook,
  googleAdsConnector,
  metaAdsConnector,
  sendgridContacts,
  sendgridEmail,
  twilioSms,
  // connector entries: one line per definition above this marker
];
