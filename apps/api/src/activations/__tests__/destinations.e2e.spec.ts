import { AuditLogEntity, DestinationEntity } from '@audiencekit/persistence';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi, TEST_SECRETS_KEYS } from './activations-test-app';

const API_KEY = 'sk_live_0123456789abcdef';
const openSealed = (row: DestinationEntity) =>
  new SecretBox(TEST_SECRETS_KEYS).open({ keyId: String(row.secretsKeyId), ciphertext: String(row.secretsCiphertext) });

/**
 * Destinations and the connector listing through the HTTP API on a real Postgres, with a test
 * connector whose connection test talks to a fake vendor over HTTP.
 */
describe('destinations and connectors through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let vendor: FakeVendorServer;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const call = (method: string, path: string, body?: unknown, key = keys.admin) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    vendor = await startFakeVendor({
      routes: {
        'GET /v1/lists/:id': (request) =>
          request.headers.authorization === `Bearer ${API_KEY}`
            ? { status: 200, body: { id: request.params.id } }
            : { status: 401, body: { error: 'bad key' } },
      },
    });
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_CONNECTOR_BASE_URLS: `test-list=${vendor.url}` } });
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
    await vendor.stop();
  });

  it('lists the registered connectors with settings and secrets as JSON Schema', async () => {
    const response = await call('GET', '/connectors', undefined, keys.viewer);
    expect(response.status).toBe(200);
    const list = response.body.items.find((item: any) => item.slug === 'test-list');
    expect(list).toMatchObject({
      displayName: 'Test list vendor',
      channel: 'email',
      deliveryModel: 'list',
      requiredIdentifiers: ['email'],
      limits: { maxBatchSize: 100 },
    });
    expect(list.settings).toMatchObject({
      type: 'object',
      properties: { listId: { type: 'string', minLength: 1 }, region: { enum: ['eu', 'us'], default: 'eu' } },
      required: ['listId'],
    });
    expect(list.secrets).toMatchObject({ type: 'object', properties: { apiKey: { type: 'string', minLength: 8 } }, required: ['apiKey'] });
    expect(response.body.items.map((item: any) => item.slug)).toEqual(['test-list', 'test-sms']);
  });

  it('creates a destination, seals its secrets with AES-256-GCM and never returns them', async () => {
    const created = await call('POST', '/destinations', {
      name: 'Newsletter',
      connector: 'test-list',
      settings: { listId: 'L1' },
      secrets: { apiKey: API_KEY },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Newsletter',
      connector: 'test-list',
      settings: { listId: 'L1', region: 'eu' },
      secretsSet: true,
    });
    expect(JSON.stringify(created.body)).not.toContain(API_KEY);

    const row = await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id: created.body.id });
    expect(row.secretsCiphertext).not.toContain(API_KEY);
    expect(Buffer.from(String(row.secretsCiphertext), 'base64').toString('latin1')).not.toContain(API_KEY);
    expect(row.secretsKeyId).toBe('test1');
    expect(JSON.parse(openSealed(row))).toEqual({ apiKey: API_KEY });

    for (const path of ['/destinations', `/destinations/${created.body.id}`]) {
      const read = await call('GET', path, undefined, keys.viewer);
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).not.toContain(API_KEY);
    }
    expect((await call('GET', `/destinations/${created.body.id}`, undefined, keys.viewer)).body.secretsSet).toBe(true);
  });

  it('validates settings and secrets with the connector’s own schemas, naming the field', async () => {
    const badSettings = await call('POST', '/destinations', {
      name: 'x',
      connector: 'test-list',
      settings: { region: 'mars' },
      secrets: { apiKey: API_KEY },
    });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.details.map((d: any) => d.path).sort()).toEqual(['settings.listId', 'settings.region']);

    const badSecret = await call('POST', '/destinations', {
      name: 'x',
      connector: 'test-list',
      settings: { listId: 'L' },
      secrets: { apiKey: 'short' },
    });
    expect(badSecret.status).toBe(400);
    expect(badSecret.body.details).toEqual([expect.objectContaining({ path: 'secrets.apiKey' })]);
    expect(JSON.stringify(badSecret.body)).not.toContain('short"');

    const unknown = await call('POST', '/destinations', { name: 'x', connector: 'nope', settings: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ path: 'connector', message: expect.stringContaining('test-list, test-sms') }]);

    const missingName = await call('POST', '/destinations', { connector: 'test-list' });
    expect(missingName.status).toBe(400);
    expect(missingName.body.details[0].path).toBe('name');
  });

  it('keeps destination writes to admins, and lets marketers test a connection', async () => {
    const body = { name: 'x', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: API_KEY } };
    expect((await call('POST', '/destinations', body, keys.marketer)).status).toBe(403);
    const created = await call('POST', '/destinations', body);
    expect((await call('PATCH', `/destinations/${created.body.id}`, { name: 'y' }, keys.marketer)).status).toBe(403);
    expect((await call('DELETE', `/destinations/${created.body.id}`, undefined, keys.marketer)).status).toBe(403);
    expect((await call('POST', `/destinations/${created.body.id}/test`, undefined, keys.viewer)).status).toBe(403);
    expect((await call('POST', `/destinations/${created.body.id}/test`, undefined, keys.marketer)).status).toBe(200);
  });

  it('tests the connection against the vendor at AK_CONNECTOR_BASE_URLS: ok, or the connector’s error without the secret', async () => {
    const good = await call('POST', '/destinations', {
      name: 'good',
      connector: 'test-list',
      settings: { listId: 'L7' },
      secrets: { apiKey: API_KEY },
    });
    const before = vendor.requestsTo('GET /v1/lists/:id').length;
    const ok = await call('POST', `/destinations/${good.body.id}/test`, undefined, keys.marketer);
    expect(ok).toEqual({ status: 200, body: { ok: true } });
    const requests = vendor.requestsTo('GET /v1/lists/:id');
    expect(requests.length).toBe(before + 1);
    expect(requests.at(-1)).toMatchObject({ path: '/v1/lists/L7', headers: { authorization: `Bearer ${API_KEY}` } });

    const wrongKey = 'sk_live_wrong_wrong_wrong';
    const bad = await call('POST', '/destinations', {
      name: 'bad',
      connector: 'test-list',
      settings: { listId: 'L7' },
      secrets: { apiKey: wrongKey },
    });
    const refused = await call('POST', `/destinations/${bad.body.id}/test`, undefined, keys.marketer);
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({
      ok: false,
      error: { code: 'invalid_credentials', vendorCode: 'HTTP 401', message: expect.stringContaining('vendor refused key [redacted]') },
    });
    expect(JSON.stringify(refused.body)).not.toContain(wrongKey);
  });

  it('replaces secrets by re-sealing them, and soft-deletes', async () => {
    const created = await call('POST', '/destinations', {
      name: 'rotate',
      connector: 'test-list',
      settings: { listId: 'L' },
      secrets: { apiKey: 'sk_old_old_old' },
    });
    const before = await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id: created.body.id });
    const patched = await call('PATCH', `/destinations/${created.body.id}`, {
      secrets: { apiKey: API_KEY },
      settings: { listId: 'L2', region: 'us' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ settings: { listId: 'L2', region: 'us' }, secretsSet: true });
    const after = await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id: created.body.id });
    expect(after.secretsCiphertext).not.toBe(before.secretsCiphertext);
    expect(JSON.parse(openSealed(after))).toEqual({ apiKey: API_KEY });
    expect((await call('PATCH', `/destinations/${created.body.id}`, { settings: { listId: '' } })).body.details[0].path).toBe(
      'settings.listId',
    );

    expect((await call('DELETE', `/destinations/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/destinations/${created.body.id}`, undefined, keys.viewer)).status).toBe(404);
    expect((await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id: created.body.id })).deletedAt).toBeInstanceOf(Date);
    const listed = await call('GET', '/destinations?limit=500', undefined, keys.viewer);
    expect(listed.body.items.map((item: any) => item.id)).not.toContain(created.body.id);
  });

  it('audits every destination write with the key that made it', async () => {
    const created = await call('POST', '/destinations', { name: 'audited', connector: 'test-sms', settings: { from: '+15551234567' } });
    expect(created.status).toBe(201);
    expect(created.body.secretsSet).toBe(false);
    await call('PATCH', `/destinations/${created.body.id}`, { name: 'audited 2' });
    const rows = await db.dataSource.getRepository(AuditLogEntity).find({ where: { objectId: created.body.id }, order: { id: 'ASC' } });
    expect(rows.map((row) => row.action)).toEqual(['POST /destinations', 'PATCH /destinations/:id']);
    expect(rows.every((row) => row.actorKeyId !== null)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(API_KEY);
  });
});

describe('destinations without AK_SECRETS_KEYS', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_SECRETS_KEYS: '' } });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  }, 30_000);
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('refuses a destination with secrets with 503 naming the variable, and accepts one without', async () => {
    const refused = await callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'x',
      connector: 'test-list',
      settings: { listId: 'L' },
      secrets: { apiKey: API_KEY },
    });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'secrets_key_missing', message: expect.stringContaining('AK_SECRETS_KEYS') });
    expect(await db.dataSource.getRepository(DestinationEntity).count()).toBe(0);
    const plain = await callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'sms',
      connector: 'test-sms',
      settings: { from: '+15551234567' },
    });
    expect(plain.status).toBe(201);
  });
});
