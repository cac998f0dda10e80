import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';

/**
 * GET /connectors of the real API app (no overridden providers): what the connector registry
 * loads, described from each plugin's own zod schemas.
 */
describe('GET /connectors from the connector registry', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let viewerKey: string;
  const get = (key?: string) => fetch(`${api.baseUrl}/connectors`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    viewerKey = (await api.app.get(ApiKeyService).create('connectors-viewer', 'viewer')).secret;
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('lists every registered connector to a viewer', async () => {
    const response = await get(viewerKey);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { slug: string }[] };
    expect(body.items.map((item) => item.slug).sort()).toEqual(REGISTERED_CONNECTORS.map((c) => c.slug).sort());
  });

  it('describes the webhook plugin with its settings and secrets as JSON Schema', async () => {
    const body = (await (await get(viewerKey)).json()) as { items: Record<string, any>[] };
    const webhook = body.items.find((item) => item.slug === 'webhook');
    expect(webhook).toMatchObject({
      displayName: 'Webhook',
      channel: 'webhook',
      deliveryModel: 'list',
      requiredIdentifiers: ['email', 'phone', 'external_id'],
      limits: { maxBatchSize: 500 },
    });
    expect(webhook?.settings).toMatchObject({
      type: 'object',
      properties: { url: { type: 'string', format: 'uri' }, includeTraits: { type: 'boolean', default: true } },
      required: ['url'],
    });
    expect(webhook?.secrets).toMatchObject({
      type: 'object',
      properties: { signingSecret: { type: 'string', minLength: 16 } },
      required: ['signingSecret'],
    });
  });

  it('refuses a caller without an API key', async () => {
    expect((await get()).status).toBe(401);
  });
});
