import { z } from 'zod';
import { connectorErrorFromHttp, defineConnector, delivered } from '@audiencekit/connector-sdk';

/**
 * Small connector definitions for the API tests (the real vendor plugins belong to other packages).
 * `test-list` keeps a vendor-side list and checks its key against a fake vendor at `baseUrl`;
 * `test-sms` is a send-time connector without secrets.
 */
export const testListConnector = defineConnector({
  slug: 'test-list',
  displayName: 'Test list vendor',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({ listId: z.string().min(1), region: z.enum(['eu', 'us']).default('eu') }),
  secrets: z.object({ apiKey: z.string().min(8) }),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100, maxRequestsPerSecond: 10 },
  async testConnection(ctx) {
    // Logs the key on purpose: the core must redact it from everything a plugin logs.
    ctx.logger.info(`checking key ${ctx.secrets.apiKey}`, {
      apiKey: ctx.secrets.apiKey,
      token: ctx.secrets.apiKey,
      listId: ctx.settings.listId,
    });
    const response = await fetch(`${ctx.baseUrl ?? 'https://vendor.invalid'}/v1/lists/${ctx.settings.listId}`, {
      headers: { authorization: `Bearer ${ctx.secrets.apiKey}` },
      signal: ctx.signal,
    });
    if (!response.ok) {
      // Echoes the key in the message, as some vendors do: the API must not pass it on.
      throw connectorErrorFromHttp(
        response.status,
        Object.fromEntries(response.headers),
        `vendor refused key ${ctx.secrets.apiKey}: ${await response.text()}`,
      );
    }
  },
  async upsert(ctx, members) {
    const response = await fetch(`${ctx.baseUrl ?? 'https://vendor.invalid'}/v1/lists/${ctx.settings.listId}/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.secrets.apiKey}`, 'content-type': 'application/json', 'idempotency-key': ctx.idempotencyKey },
      body: JSON.stringify({ emails: members.map((member) => member.identifiers.email) }),
      signal: ctx.signal,
    });
    if (!response.ok)
      throw connectorErrorFromHttp(response.status, Object.fromEntries(response.headers), `upsert failed: ${response.status}`);
    return members.map((member) => delivered(member));
  },
});

export const testSmsConnector = defineConnector({
  slug: 'test-sms',
  displayName: 'Test SMS vendor',
  channel: 'sms',
  deliveryModel: 'send',
  settings: z.object({ from: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number') }),
  secrets: z.object({}),
  requiredIdentifiers: ['phone'],
  limits: { maxBatchSize: 1 },
  async testConnection() {
    return;
  },
  async send(_ctx, batch) {
    return batch.members.map((member) => delivered(member));
  },
});

export const TEST_CONNECTORS = [testListConnector, testSmsConnector];
