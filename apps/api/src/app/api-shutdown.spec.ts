import { ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const ROOT = path.resolve(__dirname, '../../../..');
const MESSAGES = 50;

/**
 * SIGTERM on a real API process: a /v1/batch request in flight (its body still arriving) completes
 * with 200 and its events are stored; a new connection is refused meanwhile; the process exits 0.
 */
describe('API graceful shutdown', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db.drop();
  });

  it('drains an in-flight batch, refuses new connections, and exits 0', async () => {
    const writeKey = (await new ApiKeyService(db.dataSource).create('shutdown source', 'write')).secret;
    child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/api/src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    const url = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`API did not start:\n${output}`)), 30_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = output.match(/audiencekit-api listening on (http:\/\/\S+)/);
        if (match) {
          clearTimeout(timer);
          resolve(new URL(match[1].replace('localhost', '127.0.0.1')));
        }
      };
      child?.stdout?.on('data', read);
      child?.stderr?.on('data', read);
    });

    const body = Buffer.from(
      JSON.stringify({ batch: Array.from({ length: MESSAGES }, (_, n) => ({ type: 'track', event: 'Drained', userId: `u${n}`, messageId: `drain-${n}` })) }),
    );
    // The slow request: headers and half the body now, the rest after SIGTERM.
    let answer = '';
    const response = new Promise<number>((resolve, reject) => {
      const slow = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/v1/batch', headers: {
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json', 'content-length': String(body.length),
        } },
        (res) => {
          res.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      slow.on('error', reject);
      slow.write(body.subarray(0, body.length / 2));
      setTimeout(() => {
        child?.kill('SIGTERM');
        // The signal is handled within a few ms; then the listening socket is closed.
        setTimeout(() => void refusedConnection(url).then((refused) => {
          newConnectionRefused = refused;
          slow.end(body.subarray(body.length / 2));
        }), 500);
      }, 200);
    });
    let newConnectionRefused: boolean | undefined;

    expect(await response).toBe(200);
    expect(JSON.parse(answer)).toMatchObject({ success: true, stored: MESSAGES, duplicates: 0 });
    expect(newConnectionRefused).toBe(true);
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGTERM received: shutting down/);
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
