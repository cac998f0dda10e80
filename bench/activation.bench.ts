/**
 * Activation sync throughput: a segment of N members (default 1M, 10% control group) mirrored to a
 * fake vendor that enforces a fixed rate limit (a token bucket of RPS tokens refilled at RPS/s; a
 * request without a token gets 429 + Retry-After) and a batch size. Reports members/s against the
 * vendor's ceiling (batch size × requests per second; target ≥ 0.9, with no 429 wasted), then a
 * 1% churn run: requests sent against the minimum for that diff (target: equal).
 *
 *   npm run bench -- activation                     # 1,000,000 members, batches of 1,000 at 20 req/s
 *   npm run bench -- activation --members=200000    # quicker
 *   options: --batch=1000 --rps=20 --concurrency=4
 *            --limiter=shared (default, as the engine module runs: slots in Postgres, deployment-wide)
 *            --limiter=process (the per-process bottleneck spacing, as before issue #22)
 * Also reports the deployment-wide limiter's own cost: a slot reservation (one round trip), alone
 * and with 8 callers contending for one key.
 */
import axios from 'axios';
import { z } from 'zod';
import { AnyConnectorDefinition, allDelivered, defineConnector, parseRetryAfter, RetryableError } from '@audiencekit/connector-sdk';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { DestinationGates, resolveSyncEngineOptions, SharedRateLimiter, SyncRunner, SyncService } from '@audiencekit/activation-engine';
import { createDataSource } from '@audiencekit/persistence';
import type { JobQueue } from '@audiencekit/server-core';
import { DataSource } from 'typeorm';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const MEMBERS = Number(argument('members') ?? 1_000_000);
const BATCH = Number(argument('batch') ?? 1_000);
const RPS = Number(argument('rps') ?? 20);
const CONCURRENCY = Number(argument('concurrency') ?? 4);
const HOLDOUT = 0.1;
const SALT = 'bench-activation';
const CHURN = 0.01;
const LIMITER = argument('limiter') ?? 'shared';

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** The vendor's rate limit: a token bucket of RPS tokens, refilled continuously at RPS per second. */
function tokenBucket(rate: number): () => boolean {
  let tokens = rate;
  let last = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    tokens = Math.min(rate, tokens + (Number(now - last) / 1e9) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** Requests the vendor answered with 429. */
let throttled = 0;

function benchVendor(): Promise<FakeVendorServer> {
  const take = tokenBucket(RPS);
  const accept = (request: { body: unknown }) => {
    if (!take()) {
      throttled += 1;
      return { status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate limited' } };
    }
    const members = (request.body as { members?: unknown[] } | undefined)?.members ?? [];
    if (members.length > BATCH) return { status: 413, body: { error: 'batch too large' } };
    return { status: 200, body: { accepted: members.length } };
  };
  return startFakeVendor({ routes: { 'POST /lists/members': accept, 'POST /lists/members/delete': accept } });
}

function benchConnector(): AnyConnectorDefinition {
  const post = async (url: string, members: readonly { identifiers: { email?: string } }[], key: string, signal: AbortSignal) => {
    const response = await axios.post(
      url,
      { members: members.map((member) => ({ email: member.identifiers.email })) },
      { headers: { 'idempotency-key': key }, signal, validateStatus: () => true },
    );
    if (response.status === 429) throw new RetryableError('429', parseRetryAfter(response.headers['retry-after']), 'HTTP 429');
    if (response.status >= 400) throw new RetryableError(`HTTP ${response.status}`);
  };
  return defineConnector({
    slug: 'bench-list',
    displayName: 'Bench list',
    channel: 'email',
    deliveryModel: 'list',
    settings: z.object({}),
    secrets: z.object({}),
    requiredIdentifiers: ['email'],
    limits: { maxBatchSize: BATCH, maxRequestsPerSecond: RPS, maxConcurrency: CONCURRENCY },
    testConnection: async () => undefined,
    upsert: async (ctx, members) => (
      await post(`${ctx.baseUrl}/lists/members`, members, ctx.idempotencyKey, ctx.signal),
      allDelivered(members)
    ),
    remove: async (ctx, members) => (
      await post(`${ctx.baseUrl}/lists/members/delete`, members, ctx.idempotencyKey, ctx.signal),
      allDelivered(members)
    ),
  });
}

async function generate(dataSource: DataSource): Promise<{ segmentId: string; activationId: string }> {
  const [segment] = await dataSource.query(
    `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('bench', 'Bench', 'bench', 'manual', 1) RETURNING id`,
  );
  const chunk = 200_000;
  for (let from = 1; from <= MEMBERS; from += chunk) {
    await dataSource.query(
      `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series($1::int, $2::int) g RETURNING id, (traits->>'n')::int AS n),
            e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'bench' || n || '@example.com', id FROM p)
       INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $3, id, now(), gen_random_uuid() FROM p`,
      [from, Math.min(MEMBERS, from + chunk - 1), segment.id],
    );
  }
  const [destination] = await dataSource.query(
    `INSERT INTO destinations (name, connector) VALUES ('bench vendor', 'bench-list') RETURNING id`,
  );
  const [activation] = await dataSource.query(
    `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('bench', $1, $2, 'mirror', $3, $4, 'manual') RETURNING id`,
    [segment.id, destination.id, HOLDOUT, SALT],
  );
  for (const table of ['profiles', 'identities', 'segment_memberships']) await dataSource.query(`VACUUM ANALYZE ${table}`);
  return { segmentId: segment.id, activationId: activation.id };
}

/** 1% churn: half of it leaves the segment, the other half are new profiles joining it. */
async function churn(dataSource: DataSource, segmentId: string): Promise<{ left: string[]; joined: string[] }> {
  const moves = Math.max(2, Math.round(MEMBERS * CHURN));
  const left: { profile_id: string }[] = await dataSource.query(
    `WITH gone AS (DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id IN (
       SELECT profile_id FROM segment_memberships WHERE segment_id = $1 ORDER BY md5(profile_id::text) LIMIT $2) RETURNING profile_id)
     SELECT profile_id FROM gone`,
    [segmentId, Math.floor(moves / 2)],
  );
  const joined: { id: string }[] = await dataSource.query(
    `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series($1::int, $2::int) g RETURNING id, (traits->>'n')::int AS n),
          e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'bench' || n || '@example.com', id FROM p),
          m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $3, id, now(), gen_random_uuid() FROM p)
     SELECT id FROM p`,
    [MEMBERS + 1, MEMBERS + Math.ceil(moves / 2), segmentId],
  );
  return { left: left.map((row) => row.profile_id), joined: joined.map((row) => row.id) };
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('activation');
  const vendor = await benchVendor();
  // The engine's own pool: page reads, batch records and acknowledgements run side by side.
  const dataSource = await createDataSource({ url: database.url, poolSize: 12, applicationName: 'bench-activation-engine' }).initialize();
  try {
    let seeded = { segmentId: '', activationId: '' };
    const loadMs = await timeIt(async () => (seeded = await generate(dataSource)));
    console.log(
      `generated ${MEMBERS.toLocaleString('en-US')} members (${(loadMs / 1000).toFixed(1)} s); vendor ceiling ${BATCH} × ${RPS}/s = ${(BATCH * RPS).toLocaleString('en-US')} members/s\n`,
    );
    const options = resolveSyncEngineOptions({});
    const runner = new SyncRunner(
      dataSource,
      [benchConnector()],
      { AK_CONNECTOR_BASE_URLS: { 'bench-list': vendor.url } },
      options,
      LIMITER === 'process' ? new DestinationGates() : new DestinationGates(dataSource, options),
    );
    const queue = { ensureQueue: async () => undefined, sendInTransaction: async () => 'bench' } as unknown as JobQueue;
    const syncs = new SyncService(dataSource, queue, runner, options);
    const control = createHoldoutAssigner(SALT, HOLDOUT);

    const sync = async () => {
      const [requestsBefore, throttledBefore] = [vendor.requests.length, throttled];
      const run = await syncs.requestSync(seeded.activationId);
      const ms = await timeIt(() => syncs.execute(run.id));
      const view = await syncs.getRun(run.id);
      if (view.status !== 'succeeded') throw new Error(`sync ${view.status}: ${JSON.stringify(view.errors)}`);
      return { ms, view, requests: vendor.requests.length - requestsBefore, throttled: throttled - throttledBefore };
    };

    const full = await sync();
    const delivered = (full.view.counts.added ?? 0) + (full.view.counts.removed ?? 0);
    const fullRate = delivered / (full.ms / 1000);

    const { left, joined } = await churn(dataSource, seeded.segmentId);
    const expectedAdds = joined.filter((id) => !control.isControl(id)).length;
    const expectedRemoves = left.filter((id) => !control.isControl(id)).length;
    const minimum = Math.ceil(expectedAdds / BATCH) + Math.ceil(expectedRemoves / BATCH);
    const second = await sync();

    printTable([
      {
        run: `full sync (${LIMITER} limiter)`,
        members: MEMBERS,
        delivered,
        requests: full.requests,
        'wasted 429s': full.throttled,
        seconds: full.ms / 1000,
        'members/s': Math.round(fullRate),
        'vendor ceiling/s': BATCH * RPS,
        'ratio to ceiling': fullRate / (BATCH * RPS),
      },
    ]);
    console.log('');
    printTable([
      {
        run: '1% churn',
        adds: second.view.counts.added ?? 0,
        removes: second.view.counts.removed ?? 0,
        'expected adds': expectedAdds,
        'expected removes': expectedRemoves,
        'requests sent': second.requests,
        'minimum requests': minimum,
        'wasted 429s': second.throttled,
        'ratio sent/minimum': second.requests / minimum,
        seconds: second.ms / 1000,
      },
    ]);
    console.log('');
    printTable(await limiterCost(dataSource));
  } finally {
    await vendor.stop();
    await dataSource.destroy();
    await database.drop();
  }
}

/** What one slot reservation costs (no wait: interval 0), alone and with 8 callers on one key. */
async function limiterCost(dataSource: DataSource): Promise<Record<string, string | number>[]> {
  const limiter = new SharedRateLimiter(dataSource);
  const key = [{ key: 'bench:cost', intervalMs: 0 }];
  const calls = 2_000;
  for (let i = 0; i < 100; i++) await limiter.acquire(key);
  const alone = await timeIt(async () => {
    for (let i = 0; i < calls; i++) await limiter.acquire(key);
  });
  const contended = await timeIt(() =>
    Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < calls / 8; i++) await limiter.acquire(key);
      }),
    ),
  );
  return [
    { limiter: 'reserve, 1 caller', calls, 'ms/call': alone / calls, 'calls/s': Math.round(calls / (alone / 1000)) },
    { limiter: 'reserve, 8 callers, 1 key', calls, 'ms/call': contended / calls, 'calls/s': Math.round(calls / (contended / 1000)) },
  ];
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
