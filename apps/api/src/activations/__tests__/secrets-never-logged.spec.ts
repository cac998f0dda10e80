import path from 'node:path';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase } from '@audiencekit/testing';
import { callApi, startActivationsTestApi, TEST_SECRETS_KEYS } from './activations-test-app';

const SECRET = 'sk_live_NEVER_LOG_ME_7f3a9c';

/**
 * Issue 8: vendor secrets are never logged. A real API process (trace-level logs, test connectors)
 * creates a destination, tests it against a fake vendor (the connector logs the key and the vendor
 * echoes it in an error), then its whole stdout and stderr are searched for the secret.
 */
describe('destination secrets never reach the logs', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let api: SpawnedProcess;

  beforeAll(async () => {
    vendor = await startFakeVendor({
      routes: {
        'GET /v1/lists/:id': (request) =>
          request.params.id === 'ok' ? { status: 200, body: {} } : { status: 401, body: { error: `unknown key ${SECRET}` } },
      },
    });
    db = await createTestDatabase();
    api = spawnTs(
      path.join(__dirname, 'api-with-test-connectors.main.ts'),
      {
        DATABASE_URL: db.url,
        PORT: '0',
        LOG_LEVEL: 'trace',
        AK_SECRETS_KEYS: TEST_SECRETS_KEYS,
        AK_CONNECTOR_BASE_URLS: `test-list=${vendor.url}`,
      },
      { inheritEnv: true },
    );
  }, 60_000);

  afterAll(async () => {
    if (api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited();
    }
    await db.drop();
    await vendor.stop();
  });

  async function baseUrl(): Promise<string> {
    return (await api.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1];
  }

  it('logs requests and the connector’s lines, with the secret redacted everywhere', async () => {
    const url = await baseUrl();
    // The admin key is made in-process against the same database (the child reads it from there).
    const inProcess = await startActivationsTestApi(db.url, { env: { MIGRATE_ON_START: 'false' } });
    const admin = (await inProcess.app.get(ApiKeyService).create('admin', 'admin')).secret;
    await inProcess.close();

    for (const listId of ['ok', 'refused']) {
      const created = await callApi(url, admin, 'POST', '/destinations', {
        name: listId,
        connector: 'test-list',
        settings: { listId },
        secrets: { apiKey: SECRET },
      });
      expect(created.status).toBe(201);
      const tested = await callApi(url, admin, 'POST', `/destinations/${created.body.id}/test`);
      expect(tested.body.ok).toBe(listId === 'ok');
      await callApi(url, admin, 'PATCH', `/destinations/${created.body.id}`, { secrets: { apiKey: SECRET } });
    }
    // A bad secret in a request body (refused by validation) must not be logged either.
    expect(
      (
        await callApi(url, admin, 'POST', '/destinations', {
          name: 'x',
          connector: 'test-list',
          settings: {},
          secrets: { apiKey: SECRET, extra: SECRET },
        })
      ).status,
    ).toBe(400);

    expect(vendor.requests.filter((request) => request.headers.authorization === `Bearer ${SECRET}`)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the last log lines arrive
    expect(api.output()).toContain('"url":"/destinations"'); // the request log is there (the search is not vacuous)
    expect(api.output()).toContain('checking key [redacted]'); // and so is the connector's own line
    expect(api.output()).not.toContain(SECRET);
  }, 60_000);
});
