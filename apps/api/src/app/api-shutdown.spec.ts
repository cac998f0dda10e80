import { request } from 'node:http';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase } from '@audiencekit/testing';

const MESSAGES = 50;

/**
 * SIGTERM on a real API process: a /v1/batch request in flight (its body still arriving) completes
 * with 200 and its events are stored; a new connection is refused meanwhile; the process exits 0.
 */
describe('API graceful shutdown', () => {
  let db: TestDatabase;
  let api: SpawnedProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (api && api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await db.drop();
  });

  it('drains an in-flight batch, refuses new connections, and exits 0', async () => {
    const writeKey = (await new ApiKeyService(db.dataSource).create('shutdown source', 'write')).secret;
    const server = spawnTs('apps/api/src/main.ts', { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' });
    api = server;
    const [, listening] = await server.waitFor(/audiencekit-api listening on (http:\/\/\S+)/, 30_000);
    const url = new URL(listening.replace('localhost', '127.0.0.1'));

    const body = Buffer.from(
      JSON.stringify({
        batch: Array.from({ length: MESSAGES }, (_, n) => ({ type: 'track', event: 'Drained', userId: `u${n}`, messageId: `drain-${n}` })),
      }),
    );
    // The slow request: headers and half the body now, the rest after SIGTERM.
    let answer = '';
    const response = new Promise<number>((resolve, reject) => {
      const slow = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/v1/batch',
          headers: {
            authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
            'content-type': 'application/json',
            'content-length': String(body.length),
          },
        },
        (res) => {
          res.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      slow.on('error', reject);
      slow.write(body.subarray(0, body.length / 2));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        // The signal is handled within a few ms; then the listening socket is closed.
        setTimeout(
          () =>
            void refusedConnection(url).then((refused) => {
              newConnectionRefused = refused;
              slow.end(body.subarray(body.length / 2));
            }),
          500,
        );
      }, 200);
    });
    let newConnectionRefused: boolean | undefined;

    expect(await response).toBe(200);
    expect(JSON.parse(answer)).toMatchObject({ success: true, stored: MESSAGES, duplicates: 0 });
    expect(newConnectionRefused).toBe(true);
    expect((await server.exited()).code).toBe(0);
    expect(server.output()).toMatch(/SIGTERM received: shutting down/);
    const [{ count }] = await db.dataSource.query(`SELECT count(*)::int AS count FROM events WHERE message_id LIKE 'drain-%'`);
    expect(count).toBe(MESSAGES);
  }, 60_000);
});

/** True when a new TCP connection to the API is refused (the server stopped listening). */
function refusedConnection(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: url.hostname, port: url.port, method: 'GET', path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    probe.end();
  });
}
