import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { allDelivered, connectorErrorFromHttp, defineConnector, EligibleMember } from '@audiencekit/connector-sdk';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { DestinationGates } from '../delivery/destination-gates';
import { limiterState } from '../limits/rate-limit.repository';
import { destinationKey, quotaKey } from '../limits/shared-rate-limiter';
import { resolveSyncEngineOptions } from '../sync-engine.options';
import { SyncException } from '../sync.exception';
import { buildEngine, Engine, FAST_OPTIONS, seedActivation, seedSegment } from './sync-fixtures';

/**
 * Issue #22, "rate limits that hold across worker processes": three workers — three engines, each
 * with its own connection pool and its own in-memory gates, as three processes would have — sync
 * to destinations of one vendor that enforces, like the Google Ads API, a rate per account and a
 * quota per Cloud project shared by every account of that project, answering 429 with Retry-After.
 *
 * The fake measures a sliding one-second window on arrival (Date.now()); the limiter spaces call
 * slots on Postgres' clock, which is this machine's clock too, with the engine's default safety
 * margin (rateLimitSafetyMs = 100: calls spaced as if the window were 1.1 s), so the delay between
 * a slot and the request's arrival may vary by up to 100 ms on a loaded machine without a 429.
 */

const ACCOUNT_RATE = 4;
const PROJECT_QUOTA = 4;
const BATCH = 5;

interface FakeVendor {
  url: string;
  /** Requests answered 200, per account. */
  accepted: Map<string, number>;
  /** 429s answered because a limit was exceeded (or during a Retry-After the fake asked for). */
  tooMany: number;
  /** The next request of this project gets a 429 with `Retry-After: 1` whatever the rate (vendor overload). */
  forceRetryAfter: Set<string>;
  close(): Promise<void>;
}

/** Sliding one-second windows per account and per project; a Retry-After it answered blocks that project until it ends. */
async function startFakeVendor(): Promise<FakeVendor> {
  const arrivals = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();
  const accepted = new Map<string, number>();
  const fake: Omit<FakeVendor, 'url' | 'close'> = { accepted, tooMany: 0, forceRetryAfter: new Set() };
  const full = (key: string, limit: number, now: number): boolean => {
    const recent = (arrivals.get(key) ?? []).filter((at) => at > now - 1000);
    arrivals.set(key, recent);
    return recent.length >= limit;
  };
  const tooMany = (response: ServerResponse, message: string) => {
    fake.tooMany += 1;
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
    response.end(JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message } }));
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const now = Date.now();
      const account = /\/v1\/accounts\/([^/]+)\/members/.exec(request.url ?? '')?.[1];
      const project = String(request.headers['x-project'] ?? '');
      if (!account || !project) {
        response.writeHead(400).end();
        return;
      }
      if (fake.forceRetryAfter.delete(project)) {
        blockedUntil.set(`project:${project}`, now + 1000);
        return tooMany(response, 'overloaded: retry after 1 s');
      }
      if ((blockedUntil.get(`project:${project}`) ?? 0) > now) return tooMany(response, 'called during Retry-After');
      if (full(`account:${account}`, ACCOUNT_RATE, now))
        return tooMany(response, `account ${account}: more than ${ACCOUNT_RATE} requests/s`);
      if (full(`project:${project}`, PROJECT_QUOTA, now))
        return tooMany(response, `project ${project}: more than ${PROJECT_QUOTA} requests/s`);
      arrivals.get(`account:${account}`)?.push(now);
      arrivals.get(`project:${project}`)?.push(now);
      accepted.set(account, (accepted.get(account) ?? 0) + 1);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake as FakeVendor, { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

/** A Google-like connector: a rate per account, and a quota per project shared by the project's destinations. */
const vendor = defineConnector({
  slug: 'quota-vendor',
  displayName: 'Quota vendor (test)',
  channel: 'ads',
  deliveryModel: 'list',
  settings: z.object({ account: z.string(), project: z.string() }),
  secrets: z.object({}).passthrough(),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: BATCH, maxRequestsPerSecond: ACCOUNT_RATE, maxConcurrency: 2 },
  quota: (settings) => ({ key: settings.project, maxRequestsPerSecond: PROJECT_QUOTA }),
  testConnection: async () => undefined,
  upsert: async (ctx, members: readonly EligibleMember[]) => {
    const response = await ctx.http.client.post(
      `${ctx.baseUrl}/v1/accounts/${ctx.settings.account}/members`,
      { count: members.length },
      { headers: { 'x-project': ctx.settings.project }, validateStatus: () => true, signal: ctx.signal },
    );
    if (response.status !== 200)
      throw connectorErrorFromHttp(response.status, response.headers as Record<string, string>, 'vendor refused the request');
    return allDelivered(members);
  },
});

describe('rate limits across worker processes (deployment-wide limiter)', () => {
  let db: TestDatabase;
  let fake: FakeVendor;
  const pools: DataSource[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVendor();
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await fake.close();
    await db.drop();
  });

  // Slow-ish calls in tests are the limiter's waits, not the vendor: give a call room.
  const options = { ...FAST_OPTIONS, callTimeoutMs: 5_000, maxRetryAfterMs: 2_000, initialBackoffMs: 50, maxBackoffMs: 200 };

  /** A worker: its own pool of connections to the same database, its own gates. */
  async function worker(shared: boolean): Promise<Engine> {
    const pool = await new DataSource({ ...db.dataSource.options, poolSize: 3 } as typeof db.dataSource.options).initialize();
    pools.push(pool);
    const gates = shared ? new DestinationGates(pool, resolveSyncEngineOptions(options)) : new DestinationGates();
    return buildEngine(pool, [vendor], options, { AK_CONNECTOR_BASE_URLS: { 'quota-vendor': fake.url } }, gates);
  }

  /** Three destinations of one project (two activations on the first); each with 20 members: 4 requests a run. */
  async function seedProject(project: string): Promise<{ activationIds: string[]; destinationIds: string[] }> {
    const activationIds: string[] = [];
    const destinationIds: string[] = [];
    for (const account of ['a', 'b', 'c'].map((name) => `${project}-${name}`)) {
      const { segmentId } = await seedSegment(db.dataSource, 20);
      const seeded = await seedActivation(db.dataSource, {
        segmentId,
        connector: 'quota-vendor',
        mode: 'add_only',
        settings: { account, project },
      });
      activationIds.push(seeded.activationId);
      destinationIds.push(seeded.destinationId);
    }
    // A second activation on the first destination: its runs hand the destination from worker to worker.
    const { segmentId } = await seedSegment(db.dataSource, 20);
    const [second] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('second', $1, $2, 'add_only', 0, 'salt-second', 'manual') RETURNING id`,
      [segmentId, destinationIds[0]],
    );
    activationIds.push(second.id);
    return { activationIds, destinationIds };
  }

  /** Three workers take the runs from one queue; a run whose destination is busy goes back to the queue, as the job queue does. */
  async function runAll(workers: Engine[], activationIds: string[]): Promise<string[]> {
    const runIds: string[] = [];
    for (const activationId of activationIds) runIds.push((await workers[0].service.requestSync(activationId)).id);
    const queue = [...runIds];
    await Promise.all(
      workers.map(async (engine) => {
        for (let runId = queue.shift(); runId; runId = queue.shift()) {
          try {
            await engine.service.execute(runId);
          } catch (error) {
            if (!(error instanceof SyncException && error.code === 'destination_busy')) throw error;
            queue.push(runId);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      }),
    );
    return runIds;
  }

  it('three workers syncing destinations of one project waste no 429: the account rates and the project quota hold', async () => {
    const workers = await Promise.all([worker(true), worker(true), worker(true)]);
    const { activationIds, destinationIds } = await seedProject('p1');
    fake.tooMany = 0;
    const runIds = await runAll(workers, activationIds);

    expect(fake.tooMany).toBe(0);
    for (const runId of runIds) {
      const run = await workers[0].service.getRun(runId);
      expect(run.status).toBe('succeeded');
      expect(run.counts).toMatchObject({ added: 20, requests: 4 });
      expect(run.counts.retried ?? 0).toBe(0);
    }
    expect([...['p1-a', 'p1-b', 'p1-c'].map((account) => fake.accepted.get(account))]).toEqual([8, 4, 4]);
    // The slots live in Postgres, one row per destination and one for the project's quota.
    expect(await limiterState(db.dataSource.manager, destinationKey(destinationIds[0]))).not.toBeNull();
    expect(await limiterState(db.dataSource.manager, quotaKey('quota-vendor', 'p1'))).not.toBeNull();
  }, 60_000);

  it("honours a vendor's Retry-After for every worker: the 429 it answered is the only one", async () => {
    const workers = await Promise.all([worker(true), worker(true), worker(true)]);
    const { activationIds } = await seedProject('p2');
    fake.tooMany = 0;
    fake.forceRetryAfter.add('p2');
    const runIds = await runAll(workers, activationIds);

    // The forced one; no worker called the project again before its Retry-After was over.
    expect(fake.tooMany).toBe(1);
    const runs = await Promise.all(runIds.map((runId) => workers[0].service.getRun(runId)));
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(runs.reduce((sum, run) => sum + (run.counts.retried ?? 0), 0)).toBe(1);
  }, 60_000);

  it('control: per-process limiters (the old behaviour) draw 429s from the same vendor', async () => {
    const workers = await Promise.all([worker(false), worker(false), worker(false)]);
    const { activationIds } = await seedProject('p3');
    fake.tooMany = 0;
    await runAll(workers, activationIds);
    // Each worker keeps an account's rate, but three accounts of one project together overrun its quota.
    expect(fake.tooMany).toBeGreaterThan(0);
  }, 60_000);
});
