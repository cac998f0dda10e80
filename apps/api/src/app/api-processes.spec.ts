import { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase } from '@audiencekit/testing';

/** One request on a connection of its own (no keep-alive), so the primary hands each to the next process. */
function send(
  url: URL,
  method: string,
  route: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: route,
        agent: false,
        headers: body ? { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : headers,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`${method} ${route}: no answer in 10 s`)));
    outgoing.end(body);
  });
}

/** The pids whose parent is `parent` (from /proc). */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
        return ppid === parent ? [Number(pid)] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * API_PROCESSES=2 on the real entry point (apps/api/src/main.ts): one port, two API processes
 * under a primary that runs no requests; /metrics speaks for both; a dead process is replaced;
 * SIGTERM stops everything with exit 0.
 */
describe('API with API_PROCESSES=2', () => {
  jest.setTimeout(30_000);
  let db: TestDatabase;
  let api: SpawnedProcess;
  let primary: ChildProcess | undefined;
  let url: URL;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = spawnTs('apps/api/src/main.ts', { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'warn', API_PROCESSES: '2', DB_POOL_SIZE: '3' });
    primary = api.child;
    const [, line] = await api.waitFor(/audiencekit-api listening on (http:\/\/\S+) \(2 processes\)/, 60_000);
    url = new URL(line.replace('localhost', '127.0.0.1'));
  }, 90_000);

  afterAll(async () => {
    if (primary?.pid && primary.exitCode === null) {
      for (const pid of childrenOf(primary.pid)) process.kill(pid, 'SIGKILL');
      primary.kill('SIGKILL');
    }
    await db.drop();
  });

  const healthPids = async (requests: number) => {
    const pids = new Set<number>();
    for (let n = 0; n < requests; n++) pids.add(JSON.parse((await send(url, 'GET', '/health')).text).pid);
    return pids;
  };

  it('serves one port from two API processes, children of a primary that answers none itself', async () => {
    const workers = childrenOf(primary?.pid ?? 0).sort();
    expect(workers).toHaveLength(2);
    expect([...(await healthPids(8))].sort()).toEqual(workers);
    expect(api.output().match(/listening on/g)).toHaveLength(1);
    // The API's V8 flags (API_NODE_FLAGS) reach the processes that serve.
    for (const pid of workers) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=64');
  });

  it('answers /metrics for both processes: every scrape counts all the events, whichever process it reaches', async () => {
    const keys = new ApiKeyService(db.dataSource);
    const writeKey = (await keys.create('cluster source', 'write')).secret;
    const viewerKey = (await keys.create('cluster scraper', 'viewer')).secret;
    for (let batch = 0; batch < 6; batch++) {
      const messages = Array.from({ length: 10 }, (_, n) => ({
        type: 'track',
        event: 'Clustered',
        userId: `u-${batch}-${n}`,
        messageId: `cluster-${batch}-${n}`,
      }));
      const answer = await send(
        url,
        'POST',
        '/v1/batch',
        { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        JSON.stringify({ batch: messages }),
      );
      expect(answer.status).toBe(200);
    }
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id LIKE 'cluster-%'`);
    expect(n).toBe(60);
    for (let scrape = 0; scrape < 4; scrape++) {
      const metrics = await send(url, 'GET', '/metrics', { authorization: `Bearer ${viewerKey}` });
      expect(metrics.status).toBe(200);
      // One process alone saw about half of them.
      expect(metrics.text).toMatch(/^audiencekit_ingest_events_total\{route="batch",outcome="accepted"\} 60$/m);
    }
  });

  it('replaces an API process that dies, and keeps serving meanwhile', async () => {
    const before = childrenOf(primary?.pid ?? 0);
    process.kill(before[0], 'SIGKILL');
    // A connection the primary handed over at the very moment of the death is lost (the client
    // retries it); once the primary has seen the exit, the survivor takes every connection.
    await waitFor('the primary to see the exit', () =>
      api.output().includes(`API process ${before[0]} exited (SIGKILL): starting a replacement`) ? true : undefined,
    );
    expect([...(await healthPids(4))]).toEqual([before[1]]);
    const replacement = await waitFor('a replacement process', () => {
      const now = childrenOf(primary?.pid ?? 0);
      return now.length === 2 && !now.includes(before[0]) ? now.find((pid) => pid !== before[1]) : undefined;
    });
    await waitFor('the replacement to serve', async () => ((await healthPids(4)).has(replacement) ? true : undefined));
  });

  it('stops every process on SIGTERM and exits 0', async () => {
    const workers = childrenOf(primary?.pid ?? 0);
    const exited = new Promise<number | null>((resolve) => primary?.once('exit', (code) => resolve(code)));
    primary?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(workers.filter(existsProcess)).toEqual([]);
  });
});

function existsProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
