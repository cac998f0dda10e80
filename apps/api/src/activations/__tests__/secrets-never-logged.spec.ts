import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { callApi, startActivationsTestApi, TEST_SECRETS_KEYS } from './activations-test-app';

const SECRET = 'sk_live_NEVER_LOG_ME_7f3a9c';
const ROOT = path.resolve(__dirname, '../../../../..');

/**
 * Issue 8: vendor secrets are never logged. A real API process (trace-level logs, test connectors)
 * creates a destination, tests it against a fake vendor (the connector logs the key and the vendor
 * echoes it in an error), then its whole stdout and stderr are searched for the secret.
 */
describe('destination secrets never reach the logs', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    vendor = await startFakeVendor({
      routes: { 'GET /v1/lists/:id': (request) => (request.params.id === 'ok' ? { status: 200, body: {} } : { status: 401, body: { error: `unknown key ${SECRET}` } }) },
    });
    db = await createTestDatabase();
    child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'api-with-test-connectors.main.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'trace', AK_SECRETS_KEYS: TEST_SECRETS_KEYS, AK_CONNECTOR_BASE_URLS: `test-list=${vendor.url}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk) => (output += chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await db.drop();
    await vendor.stop();
  });

  async function baseUrl(): Promise<string> {
    for (let attempt = 0; attempt < 600; attempt++) {
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) return match[1];
      if (child.exitCode !== null) throw new Error(`API exited: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`API did not start: ${output}`);
  }

  it('logs requests and the connector’s lines, with the secret redacted everywhere', async () => {
    const url = await baseUrl();
    // The admin key is made in-process against the same database (the child reads it from there).
    const inProcess = await startActivationsTestApi(db.url, { env: { MIGRATE_ON_START: 'false' } });
    const admin = (await inProcess.app.get(ApiKeyService).create('admin', 'admin')).secret;
    await inProcess.close();

    for (const listId of ['ok', 'refused']) {
      const created = await callApi(url, admin, 'POST', '/destinations', { name: listId, connector: 'test-list', settings: { listId }, secrets: { apiKey: SECRET } });
      expect(created.status).toBe(201);
      const tested = await callApi(url, admin, 'POST', `/destinations/${created.body.id}/test`);
      expect(tested.body.ok).toBe(listId === 'ok');
      await callApi(url, admin, 'PATCH', `/destinations/${created.body.id}`, { secrets: { apiKey: SECRET } });
    }
    // A bad secret in a request body (refused by validation) must not be logged either.
    expect((await callApi(url, admin, 'POST', '/destinations', { name: 'x', connector: 'test-list', settings: {}, secrets: { apiKey: SECRET, extra: SECRET } })).status).toBe(400);

    expect(vendor.requests.filter((request) => request.headers.authorization === `Bearer ${SECRET}`)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the last log lines arrive
    expect(output).toContain('"url":"/destinations"'); // the request log is there (the search is not vacuous)
    expect(output).toContain('checking key [redacted]'); // and so is the connector's own line
    expect(output).not.toContain(SECRET);
  }, 60_000);
});
