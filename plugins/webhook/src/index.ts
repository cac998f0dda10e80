export { createWebhookConnector, webhook, webhookSecrets, webhookSettings } from './webhook.connector';
export type { WebhookConnectorOptions, WebhookEventType, WebhookPayload, WebhookSecrets, WebhookSettings } from './webhook.connector';
export { signBody, verifySignature, SIGNATURE_HEADER } from './signature';
