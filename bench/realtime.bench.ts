/**
 * Real-time audiences under load (issue #18): the real API and worker processes against a scratch
 * database with N profiles of history (default 100k) and 20 real-time segments created through
 * POST /segments (the three seed examples and variants, windows from 1 hour to 90 days, nested
 * references), a webhook fake behind an `on_change` mirror activation of one of them (10% control).
 *
 *   npm run bench -- realtime                                  # 100k profiles, 2,000 events/s for 60 s
 *   npm run bench -- realtime --profiles=10000 --seconds=10    # about a minute
 *   npm run bench -- realtime --rate=1000 --workers=2 --batch=20 --throughput-seconds=15
 *
 * Measures (targets of the issue in brackets):
 * - accepted → Segment Entered committed [p99 ≤ 1 s]: new visitors (identify + Product Added in one
 *   request) enter `cart-1h`; from the 2xx of that request to the first reader that sees the
 *   `cause = 'realtime'` change row (see ChangeWatcher: reads start on each NOTIFY the evaluator
 *   sends at commit, and every 100 ms).
 * - accepted → vendor request [p99 ≤ 5 s]: the same visitors (the treated ones), to the webhook
 *   fake's receipt of the `segment.entered` request naming them.
 * - time-triggered transition after its due time [p99 ≤ 5 s]: during the load, reserved profiles get
 *   one Product Added dated 1 h − LEAD ago, so each exits `cart-1h` LEAD later (during the load,
 *   with every other stored due time pending); from that due instant to the exit's commit.
 * - ingestion throughput, real time on vs off [≥ 0.7]: the same closed-loop generator (fixed
 *   connections, batches of 100 as fast as answered) against API + worker started with
 *   AK_REALTIME=false, then with real time on (the worker evaluating meanwhile).
 * - CPU of evaluating 1% of profiles changed vs a full SQL refresh of the 20 segments [≤ 0.1]:
 *   in this process, API and worker stopped, on one connection (parallel query off so the backend
 *   does all the work): `RealtimeEvaluator.drain()` vs `SegmentRefreshService.execute` of each
 *   segment; counted: this process's CPU (process.cpuUsage) + the Postgres backend's (/proc).
 * - worker RSS during the load (max and mean of /proc/<pid>/status samples), and the initial
 *   evaluation (the worker starting the 20 segments over every profile).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, createDataSource } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { RealtimeEvaluator, SegmentDefinitionGate, SegmentRefreshService, SegmentsService } from '@audiencekit/segments-service';
import { generateApiKey, type JobQueue } from '@audiencekit/server-core';
import { startFakeVendor, type FakeVendorServer } from '@audiencekit/connector-sdk/testing';
import { verifySignature } from '../plugins/webhook/src/signature';
import { AppProcess, processCpuMs, rssMiB, startApi, startWorker } from './lib/app-processes';
import { createBenchDatabase } from './lib/bench-database';
import { printTable } from './lib/report';

const PROFILES = Number(argument('profiles') ?? 100_000);
const SECONDS = Number(argument('seconds') ?? 60);
const RATE = Number(argument('rate') ?? 2_000);
const BATCH = Number(argument('batch') ?? 20);
const WORKERS = Number(argument('workers') ?? 1);
const EVENTS_PER_PROFILE = Number(argument('events-per-profile') ?? 8);
const REFRESH_TIMEOUT_S = Number(argument('refresh-timeout') ?? 120);
const THROUGHPUT_SECONDS = Number(argument('throughput-seconds') ?? Math.min(20, Math.max(5, SECONDS / 2)));
const CONNECTIONS = Number(argument('connections') ?? 8);
// The worker's real-time settings (unset: the defaults of libs/server-core's config schema).
const EVALUATION_SETTINGS: Record<string, string> = {
  ...(argument('batch-size') ? { AK_REALTIME_BATCH_SIZE: argument('batch-size') as string } : {}),
  ...(argument('concurrency') ? { AK_REALTIME_CONCURRENCY: argument('concurrency') as string } : {}),
};
// Node flags of the worker processes, comma-separated (e.g. `--worker-node-flags=--cpu-prof,--cpu-prof-dir=/tmp/prof`).
const WORKER_NODE_FLAGS = argument('worker-node-flags')?.split(',') ?? [];
/** How long after its send a due-time event's window closes (it is dated 1 h − LEAD ago). */
const LEAD_MS = Math.min(20_000, (SECONDS * 1000) / 2);
const HOUR = 3_600_000;
const SIGNING_SECRET = 'whsec_bench_0123456789abcdef';
/** Profiles user-0 … user-(DUE_POOL − 1) only ever get one due-time event; the rest get the random traffic. */
const DUE_POOL = Math.floor(PROFILES / 5);

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const RUN = Date.now().toString(36);
const SECRETS_KEYS = `bench:${randomBytes(32).toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// The 20 segments, in creation order (a referenced segment before the ones referring to it).
const cart = (hours: number) => ({
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      { type: 'event', event: 'Product Added', window: `last ${hours} hours` },
      { type: 'event', event: 'Order Completed', window: `last ${hours} hours`, count: { operator: 'exactly', value: 0 } },
    ],
  },
});
const ref = (segment: string) => ({ type: 'segment', segment });
const SEGMENTS: { key: string; definition: unknown }[] = [
  { key: EXAMPLE_SEGMENTS.cartAbandoner.key, definition: EXAMPLE_SEGMENTS.cartAbandoner.definition },
  { key: EXAMPLE_SEGMENTS.vip.key, definition: EXAMPLE_SEGMENTS.vip.definition },
  { key: EXAMPLE_SEGMENTS.winBack.key, definition: EXAMPLE_SEGMENTS.winBack.definition },
  { key: 'cart-1h', definition: cart(1) },
  { key: 'cart-24h', definition: cart(24) },
  { key: 'cart-72h', definition: cart(72) },
  { key: 'browsed-1h', definition: { type: 'rules', match: { type: 'event', event: 'Page Viewed', window: 'last 1 hours' } } },
  {
    key: 'browser-7d',
    definition: {
      type: 'rules',
      match: { type: 'frequency', event: 'Page Viewed', window: 'last 7 days', operator: 'at_least', value: 3 },
    },
  },
  { key: 'buyer-30d', definition: { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 30 days' } } },
  { key: 'buyer-90d', definition: { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 90 days' } } },
  {
    key: 'repeat-buyer-90d',
    definition: {
      type: 'rules',
      match: { type: 'event', event: 'Order Completed', window: 'last 90 days', count: { operator: 'at_least', value: 2 } },
    },
  },
  {
    key: 'big-spender-30d',
    definition: {
      type: 'rules',
      match: {
        type: 'event',
        event: 'Order Completed',
        window: 'last 30 days',
        aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 300 },
      },
    },
  },
  { key: 'lapsed-30d', definition: { type: 'rules', match: { type: 'recency', event: 'Order Completed', operator: 'gte', days: 30 } } },
  { key: 'lapsed-60d', definition: { type: 'rules', match: { type: 'recency', event: 'Order Completed', operator: 'gte', days: 60 } } },
  {
    key: 'active-14d',
    definition: {
      type: 'rules',
      match: {
        type: 'any',
        conditions: [
          { type: 'event', event: 'Page Viewed', window: 'last 14 days' },
          { type: 'event', event: 'Product Added', window: 'last 14 days' },
        ],
      },
    },
  },
  {
    key: 'window-shopper-1h',
    definition: {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'Page Viewed', window: 'last 1 hours', count: { operator: 'at_least', value: 2 } },
          { type: 'event', event: 'Product Added', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
        ],
      },
    },
  },
  { key: 'engaged-buyer', definition: { type: 'rules', match: { type: 'all', conditions: [ref('buyer-30d'), ref('browser-7d')] } } },
  { key: 'vip-cart', definition: { type: 'rules', match: { type: 'all', conditions: [ref('vip'), ref('cart-abandoner')] } } },
  {
    key: 'new-cart-1h',
    definition: { type: 'rules', match: { type: 'all', conditions: [ref('cart-1h'), { type: 'not', condition: ref('buyer-90d') }] } },
  },
  { key: 'at-risk', definition: { type: 'rules', match: { type: 'any', conditions: [ref('lapsed-60d'), ref('engaged-buyer')] } } },
];

// ---------------------------------------------------------------------------------------------
// History, in bulk.

/** PROFILES profiles (identity user_id user-<n>) with EVENTS_PER_PROFILE events each, 2 h to 120 days old. */
async function generateHistory(dataSource: DataSource, now: Date): Promise<void> {
  const indexes: { indexdef: string; indexname: string }[] = await dataSource.query(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
     WHERE i.tablename = 'events' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  );
  for (const index of indexes) await dataSource.query(`DROP INDEX "${index.indexname}"`);
  await dataSource.query(
    `CREATE TABLE bench_profile_numbers AS
       SELECT n - 1 AS n, gen_random_uuid() AS id FROM generate_series(1, $1) n`,
    [PROFILES],
  );
  await dataSource.query(`CREATE UNIQUE INDEX ON bench_profile_numbers (n)`);
  await dataSource.query(
    `INSERT INTO profiles (id, traits, first_seen_at, last_seen_at)
       SELECT id, jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + n % 3]), $1::timestamptz - interval '120 days', $1 FROM bench_profile_numbers`,
    [now],
  );
  await dataSource.query(`INSERT INTO identities (type, value, profile_id) SELECT 'user_id', 'user-' || n, id FROM bench_profile_numbers`);
  const events = PROFILES * EVENTS_PER_PROFILE;
  const chunk = 1_000_000;
  for (let from = 1; from <= events; from += chunk) {
    // Mix: 55% Page Viewed, 25% Product Added, 20% Order Completed with revenue 5–500.
    await dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, received_at, properties, user_id)
       SELECT 'history-' || g, b.id, 'track', k.name, k.at, k.at, k.properties, 'user-' || b.n
       FROM generate_series($1::bigint, $2::bigint) g
       JOIN bench_profile_numbers b ON b.n = abs(hashint8(g)) % $4
       CROSS JOIN LATERAL (
         SELECT CASE WHEN r < 0.55 THEN 'Page Viewed' WHEN r < 0.8 THEN 'Product Added' ELSE 'Order Completed' END AS name,
                CASE WHEN r >= 0.8 THEN jsonb_build_object('revenue', round((5 + (r - 0.8) * 2475)::numeric, 2)) ELSE '{}'::jsonb END AS properties,
                $3::timestamptz - interval '2 hours' - (abs(hashint8(g * 17 + 3)) % (118 * 86400)) * interval '1 second' AS at
           FROM (SELECT (abs(hashint8(g * 31 + 7)) % 100000) / 100000.0 AS r) x) k`,
      [from, Math.min(events, from + chunk - 1), now, PROFILES],
    );
  }
  for (const index of indexes) await dataSource.query(index.indexdef);
  await dataSource.query('VACUUM ANALYZE profiles');
  await dataSource.query('VACUUM ANALYZE identities');
  await dataSource.query('VACUUM ANALYZE events');
}

// ---------------------------------------------------------------------------------------------
// HTTP.

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON answers, of many shapes
type Json = any;

function request(
  baseUrl: string,
  method: string,
  path: string,
  authorization: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      {
        method,
        agent,
        headers: { authorization, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Keys {
  admin: string;
  write: string;
}

async function makeKeys(dataSource: DataSource): Promise<Keys> {
  const repository = dataSource.getRepository(ApiKeyEntity);
  const admin = generateApiKey('admin');
  const write = generateApiKey('write');
  await repository.save({ name: 'bench admin', role: 'admin', trust: 'server', prefix: admin.prefix, keyHash: admin.hash });
  await repository.save({ name: 'bench source', role: 'write', trust: 'server', prefix: write.prefix, keyHash: write.hash });
  return { admin: `Bearer ${admin.secret}`, write: `Basic ${Buffer.from(`${write.secret}:`).toString('base64')}` };
}

async function adminCall(api: AppProcess, keys: Keys, method: string, path: string, body: unknown): Promise<Json> {
  const response = await request(api.url, method, path, keys.admin, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

// ---------------------------------------------------------------------------------------------
// Traffic.

type Message = Record<string, unknown>;

/** A small deterministic PRNG (mulberry32), so runs send the same traffic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let serial = 0;
const messageId = () => `rt-${RUN}-${(serial += 1)}`;

/** Traffic on existing profiles (not the due pool): pages, cart adds and orders, dated now. */
function randomEvent(next: () => number): Message {
  const user = DUE_POOL + Math.floor(next() * (PROFILES - DUE_POOL));
  const r = next();
  const base = { type: 'track', messageId: messageId(), userId: `user-${user}`, timestamp: new Date().toISOString() };
  if (r < 0.5) return { ...base, event: 'Page Viewed', properties: { path: '/p' } };
  if (r < 0.8) return { ...base, event: 'Product Added', properties: { sku: `sku-${user % 97}`, price: 20 } };
  return { ...base, event: 'Order Completed', properties: { revenue: Math.round(next() * 50_000) / 100 } };
}

interface LoadRecord {
  /** Fresh visitors: userId → the 2xx time (epoch ms) of the request that brought their Product Added. */
  fresh: Map<string, number>;
  /** Due-time profiles: userId → the instant their cart-1h window closes (epoch ms). */
  due: Map<string, number>;
  sent: number;
  acknowledged: number;
  failed: number;
  requestMs: number[];
}

/**
 * Open-loop load at RATE events/s for SECONDS: batches of BATCH events sent on schedule, whether
 * or not earlier ones were answered (at most 512 in flight). Of the events, ~10% are new visitors
 * (identify + Product Added), ~10% due-time events (first SECONDS − LEAD only), the rest random.
 */
async function sustainedLoad(api: AppProcess, keys: Keys): Promise<LoadRecord> {
  const next = random(7);
  const record: LoadRecord = { fresh: new Map(), due: new Map(), sent: 0, acknowledged: 0, failed: 0, requestMs: [] };
  const requestsPerSecond = RATE / BATCH;
  const total = Math.round(requestsPerSecond * SECONDS);
  let dueUser = 0;
  let freshUser = 0;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  const start = Date.now();
  const send = (index: number) => {
    const elapsed = Date.now() - start;
    const batch: Message[] = [];
    const fresh: string[] = [];
    const due: [string, number][] = [];
    while (batch.length < BATCH) {
      const r = next();
      if (r < 0.05 && batch.length <= BATCH - 2) {
        const userId = `fresh-${RUN}-${(freshUser += 1)}`;
        const now = new Date().toISOString();
        batch.push({ type: 'identify', messageId: messageId(), userId, traits: { email: `${userId}@example.com` }, timestamp: now });
        batch.push({ type: 'track', messageId: messageId(), userId, event: 'Product Added', properties: { sku: 'sku-1' }, timestamp: now });
        fresh.push(userId);
      } else if (r < 0.15 && elapsed < SECONDS * 1000 - LEAD_MS && dueUser < DUE_POOL) {
        const userId = `user-${dueUser++}`;
        const at = Date.now() - HOUR + LEAD_MS;
        batch.push({
          type: 'track',
          messageId: messageId(),
          userId,
          event: 'Product Added',
          properties: {},
          timestamp: new Date(at).toISOString(),
        });
        due.push([userId, at + HOUR]);
      } else {
        batch.push(randomEvent(next));
      }
    }
    for (const [userId, dueAt] of due) record.due.set(userId, dueAt);
    inFlight += 1;
    record.sent += batch.length;
    const sentAt = Date.now();
    pending[index % 1024] = request(api.url, 'POST', '/v1/batch', keys.write, { batch, sentAt: new Date().toISOString() })
      .then((response) => {
        const answeredAt = Date.now();
        record.requestMs.push(answeredAt - sentAt);
        if (response.status >= 200 && response.status < 300 && !(response.body?.rejected?.length > 0)) {
          record.acknowledged += batch.length;
          for (const userId of fresh) record.fresh.set(userId, answeredAt);
        } else {
          record.failed += batch.length;
        }
      })
      .catch(() => void (record.failed += batch.length))
      .finally(() => void (inFlight -= 1));
  };
  for (let index = 0; index < total;) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * requestsPerSecond) + 1);
    while (index < due && inFlight < 512) send(index++);
    await sleep(2);
  }
  while (inFlight > 0) await sleep(5);
  await Promise.all(pending);
  return record;
}

/** Closed loop: CONNECTIONS senders, each sending batches of 100 random events as fast as answered, for `seconds`. */
async function maxThroughput(api: AppProcess, keys: Keys, seconds: number): Promise<{ eventsPerSecond: number; failed: number }> {
  const next = random(11);
  let acknowledged = 0;
  let failed = 0;
  const start = Date.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const batch = Array.from({ length: 100 }, () => randomEvent(next));
        const response = await request(api.url, 'POST', '/v1/batch', keys.write, { batch, sentAt: new Date().toISOString() });
        if (response.status >= 200 && response.status < 300) acknowledged += batch.length - (response.body?.rejected?.length ?? 0);
        else failed += batch.length;
      }
    }),
  );
  return { eventsPerSecond: (acknowledged * 1000) / (Date.now() - start), failed };
}

// ---------------------------------------------------------------------------------------------
// Observation.

interface SeenChange {
  segmentId: string;
  profileId: string;
  change: 'added' | 'removed';
  seenAt: number;
}

/**
 * Records when each real-time membership change became visible to a reader. Reads start on each
 * NOTIFY audiencekit_segment_changes (Postgres delivers it at the evaluator's commit) and every
 * 100 ms otherwise; a row gets the start time of the first read that returned it (its snapshot was
 * taken then, so the row committed before: the time is late by at most the wait for that read).
 * Change ids are taken before commit, so a row with a lower id may commit after a higher one: ids
 * below the highest seen that were not seen are asked for again for 30 s (then they were rollbacks).
 */
class ChangeWatcher {
  readonly changes: SeenChange[] = [];
  private client?: Client;
  private highest = 0;
  private readonly gaps = new Map<number, number>();
  private wake?: () => void;
  private dirty = false;
  private running = true;
  private loop?: Promise<void>;

  async start(url: string): Promise<void> {
    this.client = new Client({ connectionString: url, application_name: 'bench-change-watcher' });
    // An error is reported by the read that meets it; without a listener it would kill the bench.
    this.client.on('error', (error) => console.error(`change watcher: ${error.message}`));
    await this.client.connect();
    const [row] = (await this.client.query(`SELECT coalesce(max(id), 0)::bigint AS id FROM segment_membership_changes`)).rows;
    this.highest = Number(row.id);
    this.client.on('notification', () => {
      this.dirty = true;
      this.wake?.();
    });
    await this.client.query('LISTEN audiencekit_segment_changes');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.client?.end();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.dirty) await new Promise<void>((resolve) => ((this.wake = resolve), setTimeout(resolve, 100)));
      this.dirty = false;
      await this.read();
    }
    await this.read();
  }

  private async read(): Promise<void> {
    const startedAt = Date.now();
    const gaps = [...this.gaps.keys()];
    const { rows } = await (this.client as Client).query(
      `SELECT id::bigint AS id, segment_id, profile_id, change FROM segment_membership_changes
        WHERE cause = 'realtime' AND (id > $1 OR id = ANY($2::bigint[])) ORDER BY id`,
      [this.highest, gaps],
    );
    for (const row of rows) {
      const id = Number(row.id);
      this.gaps.delete(id);
      for (let missing = this.highest + 1; missing < id; missing++) this.gaps.set(missing, startedAt);
      if (id > this.highest) this.highest = id;
      this.changes.push({ segmentId: row.segment_id, profileId: row.profile_id, change: row.change, seenAt: startedAt });
    }
    for (const [id, since] of this.gaps) if (startedAt - since > 30_000) this.gaps.delete(id);
  }
}

/** The webhook fake: verifies the signature and records, per request, its arrival time and members. */
async function startVendor(): Promise<{ server: FakeVendorServer; arrivals: { at: number; type: string; profileIds: string[] }[] }> {
  const arrivals: { at: number; type: string; profileIds: string[] }[] = [];
  const server = await startFakeVendor({
    routes: {
      'POST /hooks/audiencekit': (req) => {
        const at = Date.now();
        const header = req.headers['x-audiencekit-signature'];
        if (typeof header !== 'string' || !verifySignature(header, req.rawBody, SIGNING_SECRET, at)) return { status: 401 };
        const body = req.body as { type: string; members?: { profileId: string }[] };
        arrivals.push({ at, type: body.type, profileIds: (body.members ?? []).map((member) => member.profileId) });
        return { status: 204 };
      },
    },
  });
  return { server, arrivals };
}

/** Samples a process's RSS every 500 ms until stopped. */
function sampleRss(pids: number[]): { stop: () => { max: number; mean: number } } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(pids.reduce((sum, pid) => sum + rssMiB(pid), 0)), 500);
  return {
    stop: () => {
      clearInterval(timer);
      return { max: Math.max(...samples), mean: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length) };
    },
  };
}

/**
 * When the server runs without autovacuum (the shared test server does), the bench vacuums and
 * analyses the tables real time churns every 10 s, as autovacuum would in production: without
 * statistics the planner scans realtime_due and realtime_touches whole on every batch.
 */
async function autovacuumStandIn(dataSource: DataSource): Promise<{ stop: () => Promise<void> }> {
  const [{ autovacuum }] = await dataSource.query(`SELECT current_setting('autovacuum') AS autovacuum`);
  if (autovacuum === 'on') return { stop: async () => undefined };
  console.log('(autovacuum is off on this server: the bench vacuums and analyses the real-time tables every 10 s instead)');
  let running = Promise.resolve();
  const tables = ['realtime_touches', 'realtime_due', 'segment_memberships', 'segment_membership_changes', 'activation_pending_changes'];
  const timer = setInterval(() => {
    running = running.then(async () => {
      for (const table of tables) await dataSource.query(`VACUUM ANALYZE ${table}`).catch(() => undefined);
    });
  }, 10_000);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Phases.

function appEnv(url: string, realtime: boolean): Record<string, string> {
  return {
    DATABASE_URL: url,
    AK_SECRETS_KEYS: SECRETS_KEYS,
    AK_REALTIME: String(realtime),
    AK_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    AK_ADMIN_RATE_LIMIT: '0',
    // A 1-hour cart segment churns more than the mass-removal gate's 20% by design: the bench
    // measures delivery latency, so the gate (libs/activation-engine) is opened.
    AK_MASS_REMOVAL_SHARE: '1',
    DB_POOL_SIZE: '12',
    ...EVALUATION_SETTINGS,
  };
}

async function startApps(url: string, realtime: boolean): Promise<{ api: AppProcess; workers: AppProcess[]; stop: () => Promise<void> }> {
  const env = appEnv(url, realtime);
  const api = await startApi(env);
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(env)));
  return { api, workers, stop: async () => void (await Promise.all([api.stop(), ...workers.map((worker) => worker.stop())])) };
}

async function count(dataSource: DataSource, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await dataSource.query(sql, values);
  return Number(Object.values(row)[0]);
}

/** Waits until `done` or `timeoutMs`; returns the ms waited. */
async function waitFor(done: () => Promise<boolean>, timeoutMs: number, pollMs = 250): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
  return Date.now() - start;
}

async function createSegmentsAndActivation(
  api: AppProcess,
  keys: Keys,
  vendorUrl: string,
): Promise<{ ids: Map<string, string>; activationId: string }> {
  const ids = new Map<string, string>();
  for (const { key, definition } of SEGMENTS) {
    const created = await adminCall(api, keys, 'POST', '/segments', {
      key,
      name: key,
      owner: 'bench',
      refreshCadence: 'realtime',
      definition,
    });
    ids.set(key, created.id);
  }
  const destination = await adminCall(api, keys, 'POST', '/destinations', {
    name: 'bench webhook',
    connector: 'webhook',
    settings: { url: `${vendorUrl}/hooks/audiencekit`, includeTraits: false },
    secrets: { signingSecret: SIGNING_SECRET },
  });
  const activation = await adminCall(api, keys, 'POST', '/activations', {
    name: 'cart-1h on change',
    segmentId: ids.get('cart-1h'),
    destinationId: destination.id,
    mode: 'mirror',
    holdoutShare: 0.1,
    schedule: 'on_change',
  });
  return { ids, activationId: activation.id };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function latencyRow(measure: string, values: number[], missing: number, targetMs: number): Record<string, string | number> {
  const p99 = percentile(values, 99);
  return {
    measure,
    samples: values.length,
    missing,
    'p50 ms': Math.round(percentile(values, 50)),
    'p99 ms': Math.round(p99),
    'max ms': Math.round(Math.max(...values)),
    target: `p99 ≤ ${targetMs / 1000} s`,
    met: p99 <= targetMs ? 'yes' : 'NO',
  };
}

async function profileIdsOf(dataSource: DataSource, userIds: string[]): Promise<Map<string, string>> {
  const rows: { value: string; profile_id: string }[] = await dataSource.query(
    `SELECT value, profile_id FROM identities WHERE type = 'user_id' AND value = ANY($1::text[])`,
    [userIds],
  );
  return new Map(rows.map((row) => [row.value, row.profile_id]));
}

/** The latency tables of the sustained load: entries, vendor requests, due transitions. */
async function latencies(
  dataSource: DataSource,
  load: LoadRecord,
  changes: SeenChange[],
  arrivals: { at: number; type: string; profileIds: string[] }[],
  cartId: string,
  activationId: string,
): Promise<Record<string, string | number>[]> {
  const profileOf = await profileIdsOf(dataSource, [...load.fresh.keys(), ...load.due.keys()]);
  const firstSeen = (change: 'added' | 'removed') => {
    const seen = new Map<string, number>();
    for (const row of changes)
      if (row.segmentId === cartId && row.change === change && !seen.has(row.profileId)) seen.set(row.profileId, row.seenAt);
    return seen;
  };
  const entered = firstSeen('added');
  const exited = firstSeen('removed');
  const delivered = new Map<string, number>();
  for (const arrival of arrivals)
    if (arrival.type === 'segment.entered') for (const id of arrival.profileIds) if (!delivered.has(id)) delivered.set(id, arrival.at);
  const control = new Set(
    (
      await dataSource.query(`SELECT DISTINCT profile_id FROM activation_exposures WHERE activation_id = $1 AND arm <> 'treatment'`, [
        activationId,
      ])
    ).map((row: { profile_id: string }) => row.profile_id),
  );
  const leaked = arrivals.reduce((sum, arrival) => sum + arrival.profileIds.filter((id) => control.has(id)).length, 0);
  const entry: number[] = [];
  const vendor: number[] = [];
  let entryMissing = 0;
  let vendorMissing = 0;
  for (const [userId, acceptedAt] of load.fresh) {
    const profileId = profileOf.get(userId);
    const seenAt = profileId ? entered.get(profileId) : undefined;
    if (seenAt === undefined) entryMissing += 1;
    else entry.push(seenAt - acceptedAt);
    const at = profileId ? delivered.get(profileId) : undefined;
    if (at !== undefined) vendor.push(at - acceptedAt);
    else if (!(profileId && control.has(profileId))) vendorMissing += 1;
  }
  // A due-time profile counts once it entered before its window closed: one whose event was
  // evaluated only after that never entered, so no transition was due (counted apart).
  const due: number[] = [];
  let dueMissing = 0;
  let enteredLate = 0;
  for (const [userId, dueAt] of load.due) {
    const profileId = profileOf.get(userId) as string;
    const [enteredAt, exitedAt] = [entered.get(profileId), exited.get(profileId)];
    if (enteredAt === undefined || enteredAt >= dueAt) enteredLate += 1;
    else if (exitedAt === undefined || exitedAt < dueAt) dueMissing += 1;
    else due.push(exitedAt - dueAt);
  }
  return [
    latencyRow('accepted (2xx) → Segment Entered committed', entry, entryMissing, 1_000),
    latencyRow(`accepted (2xx) → vendor request (treated; control sent: ${leaked})`, vendor, vendorMissing, 5_000),
    latencyRow(`due time → time-triggered exit committed (${enteredLate} entered too late to be due)`, due, dueMissing, 5_000),
  ];
}

/** Worker's own lag quantiles and evaluations counter, from its /metrics (a cross-check). */
async function workerMetrics(worker: AppProcess): Promise<Record<string, number>> {
  const response = await request(worker.url, 'GET', '/metrics', '');
  const text = String(response.body);
  const pick = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
  return {
    evaluations: pick(/^audiencekit_realtime_evaluations_total (\S+)/m),
    changes: pick(/^audiencekit_realtime_membership_changes_total (\S+)/m),
    eventLagP99: pick(/^audiencekit_realtime_evaluation_lag_quantiles_seconds\{quantile="0.99",cause="event"\} (\S+)/m),
    dueLagP99: pick(/^audiencekit_realtime_evaluation_lag_quantiles_seconds\{quantile="0.99",cause="due"\} (\S+)/m),
  };
}

/**
 * CPU of real-time evaluation after 1% of profiles changed against full refreshes of the 20
 * segments, in this process on one connection (its backend's CPU read from /proc), parallel query
 * off so no other backend does part of the work.
 */
async function cpuComparison(url: string, segmentIds: string[]): Promise<Record<string, string | number>[]> {
  const dataSource = await createDataSource({ url, poolSize: 1, applicationName: 'bench-realtime-cpu' }).initialize();
  try {
    await dataSource.query(`SET max_parallel_workers_per_gather = 0`);
    const [{ pid }] = await dataSource.query(`SELECT pg_backend_pid() AS pid`);
    const evaluator = new RealtimeEvaluator(dataSource, {});
    await evaluator.drain(); // what the stopped worker left (not measured)
    const changed = Math.round(PROFILES / 100);
    await dataSource.query(
      `WITH chosen AS (SELECT id FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL ORDER BY hashtext(id::text) LIMIT $1),
            stored AS (INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
                       SELECT 'cpu-' || id, id, 'track', 'Order Completed', now(), '{"revenue": 42}' FROM chosen RETURNING profile_id)
       INSERT INTO realtime_touches (profile_id) SELECT profile_id FROM stored`,
      [changed],
    );
    const measure = async (work: () => Promise<unknown>) => {
      const [cpu, backend, wall] = [process.cpuUsage(), processCpuMs(pid), Date.now()];
      await work();
      const used = process.cpuUsage(cpu);
      return { node: (used.user + used.system) / 1000, postgres: processCpuMs(pid) - backend, wall: Date.now() - wall };
    };
    let evaluated = 0;
    const evaluation = await measure(async () => void (evaluated = (await evaluator.drain()).profiles));
    const gate = new SegmentDefinitionGate();
    const refresh = new SegmentRefreshService(dataSource, new SegmentsService(dataSource, gate), gate, undefined as unknown as JobQueue);
    const runs: string[] = [];
    for (const segmentId of segmentIds) {
      const [run] = await dataSource.query(
        `INSERT INTO segment_runs (segment_id, version, status, trigger) SELECT id, current_version, 'queued', 'manual' FROM segments WHERE id = $1 RETURNING id`,
        [segmentId],
      );
      runs.push(run.id);
    }
    // A refresh query that runs away (seen: `any` of two event windows on 100k profiles with
    // parallel query off) is stopped after REFRESH_TIMEOUT_S and counted as that long: the
    // baseline is then a lower bound, and the ratio an upper one.
    await dataSource.query(`SET statement_timeout = '${REFRESH_TIMEOUT_S}s'`);
    const timedOut: string[] = [];
    const refreshes = await measure(async () => {
      for (const runId of runs) {
        const outcome = await refresh.execute(runId, new Date()).catch(() => ({ status: 'failed' }));
        if (outcome.status !== 'succeeded') timedOut.push(runId);
      }
    });
    await dataSource.query(`SET statement_timeout = 0`);
    const corrections = await count(dataSource, `SELECT coalesce(sum(corrections), 0) FROM segment_runs WHERE id = ANY($1::uuid[])`, [
      runs,
    ]);
    const total = (m: { node: number; postgres: number }) => m.node + m.postgres;
    return [
      {
        work: `evaluate ${evaluated.toLocaleString('en-US')} changed profiles (1%) × 20 segments`,
        'node CPU ms': evaluation.node,
        'postgres CPU ms': evaluation.postgres,
        'wall ms': evaluation.wall,
        'ratio to refresh (≤ 0.1)': total(evaluation) / total(refreshes),
      },
      {
        work: `full SQL refresh of the 20 segments (baseline; corrections: ${corrections}${timedOut.length ? `; ${timedOut.length} stopped at ${REFRESH_TIMEOUT_S} s` : ''})`,
        'node CPU ms': refreshes.node,
        'postgres CPU ms': refreshes.postgres,
        'wall ms': refreshes.wall,
        'ratio to refresh (≤ 0.1)': 1,
      },
    ];
  } finally {
    await dataSource.destroy();
  }
}

async function main(): Promise<void> {
  console.log(
    `${PROFILES.toLocaleString('en-US')} profiles × ${EVENTS_PER_PROFILE} events of history, 20 real-time segments, ${RATE.toLocaleString('en-US')} events/s for ${SECONDS} s in batches of ${BATCH}, ${WORKERS} worker process(es)\n`,
  );
  const database = await createBenchDatabase('realtime');
  const vendor = await startVendor();
  let apps: Awaited<ReturnType<typeof startApps>> | undefined;
  let vacuum: { stop: () => Promise<void> } | undefined;
  try {
    const ds = database.dataSource;
    const generated = Date.now();
    await generateHistory(ds, new Date());
    console.log(`history generated in ${((Date.now() - generated) / 1000).toFixed(1)} s`);
    const keys = await makeKeys(ds);
    vacuum = await autovacuumStandIn(ds);

    // Throughput with real time off first (before the segments exist, so nothing is started).
    apps = await startApps(database.url, false);
    await maxThroughput(apps.api, keys, 2); // warm-up
    const off = await maxThroughput(apps.api, keys, THROUGHPUT_SECONDS);
    await apps.stop();
    apps = undefined;
    console.log(`real time off: ${Math.round(off.eventsPerSecond)} events/s`);
    await ds.query('ANALYZE events');

    // Real time on: the API creates the segments, then the worker starts them (initial evaluation).
    const api = await startApi(appEnv(database.url, true));
    const { ids, activationId } = await createSegmentsAndActivation(api, keys, vendor.server.url);
    const initialStart = Date.now();
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(appEnv(database.url, true), WORKER_NODE_FLAGS)));
    apps = { api, workers, stop: async () => void (await Promise.all([api.stop(), ...workers.map((worker) => worker.stop())])) };
    await waitFor(
      async () =>
        (await count(ds, `SELECT count(*) FROM realtime_segments`)) === SEGMENTS.length &&
        (await count(ds, `SELECT count(*) FROM realtime_touches`)) === 0,
      30 * 60_000,
      500,
    );
    const initialMs = Date.now() - initialStart;
    const pendingDue = await count(ds, `SELECT count(*) FROM realtime_due`);
    const members = await count(ds, `SELECT count(*) FROM segment_memberships`);
    console.log(`initial evaluation: ${(initialMs / 1000).toFixed(1)} s (${pendingDue} due times stored)\n`);

    // The sustained load, watched.
    const watcher = new ChangeWatcher();
    await watcher.start(database.url);
    const rss = sampleRss(workers.map((worker) => worker.pid));
    const apiRss = sampleRss([api.pid]);
    const dueSamples: number[] = [];
    const dueTimer = setInterval(() => void count(ds, `SELECT count(*) FROM realtime_due`).then((n) => dueSamples.push(n)), 2_000);
    const loadStart = Date.now();
    const load = await sustainedLoad(api, keys);
    const loadMs = Date.now() - loadStart;
    clearInterval(dueTimer);
    const memory = rss.stop();
    const apiMemory = apiRss.stop();
    // Let the last evaluations, due times and vendor flushes land.
    const drainMs = await waitFor(async () => (await count(ds, `SELECT count(*) FROM realtime_touches`)) === 0, 600_000).catch(() => NaN);
    await sleep(Math.max(LEAD_MS + 2_000, 6_000));
    await watcher.stop();
    const metrics = await workerMetrics(workers[0]);
    // Each table is printed as soon as its figures exist, so a run cut short still reports them.
    console.log('');
    printTable([
      {
        profiles: PROFILES,
        'history events': PROFILES * EVENTS_PER_PROFILE,
        segments: SEGMENTS.length,
        'initial evaluation s': initialMs / 1000,
        'memberships after it': members,
        'due times pending (min during load)': Math.min(pendingDue, ...dueSamples),
      },
    ]);
    console.log('');
    printTable([
      {
        'events sent': load.sent,
        acknowledged: load.acknowledged,
        failed: load.failed,
        'achieved events/s': Math.round((load.acknowledged * 1000) / loadMs),
        'request p50 ms': percentile(load.requestMs, 50),
        'request p99 ms': percentile(load.requestMs, 99),
        'drain after load ms': drainMs,
        'realtime changes seen': watcher.changes.length,
        'vendor requests': vendor.arrivals.length,
      },
    ]);
    console.log('');
    printTable(await latencies(ds, load, watcher.changes, vendor.arrivals, ids.get('cart-1h') as string, activationId));
    console.log('');
    printTable([
      {
        process: `worker${WORKERS > 1 ? `s (${WORKERS}, summed)` : ''}`,
        'RSS max MiB': Math.round(memory.max),
        'RSS mean MiB': Math.round(memory.mean),
        'evaluations (its counter)': metrics.evaluations,
        'its event lag p99 s': metrics.eventLagP99,
        'its due lag p99 s': metrics.dueLagP99,
      },
      { process: 'api', 'RSS max MiB': Math.round(apiMemory.max), 'RSS mean MiB': Math.round(apiMemory.mean) },
    ]);

    // Throughput with real time on (the worker evaluating meanwhile).
    const on = await maxThroughput(api, keys, THROUGHPUT_SECONDS);
    const backlogAfter = await count(ds, `SELECT count(DISTINCT profile_id) FROM realtime_touches`);
    await apps.stop();
    apps = undefined;
    console.log('');
    printTable([
      { ingestion: 'real time off (baseline)', 'events/s': Math.round(off.eventsPerSecond), failed: off.failed, 'ratio (≥ 0.7)': 1 },
      {
        ingestion: `real time on (evaluation backlog after: ${backlogAfter} profiles)`,
        'events/s': Math.round(on.eventsPerSecond),
        failed: on.failed,
        'ratio (≥ 0.7)': on.eventsPerSecond / off.eventsPerSecond,
      },
    ]);

    await vacuum.stop();
    vacuum = undefined;
    await ds.query('VACUUM ANALYZE realtime_touches, realtime_due, segment_memberships, segment_membership_changes, events');
    console.log('');
    printTable(await cpuComparison(database.url, [...ids.values()]));
  } finally {
    await vacuum?.stop();
    await apps?.stop();
    await vendor.server.stop();
    agent.destroy();
    if (process.argv.includes('--keep')) {
      await database.dataSource.destroy();
      console.log(`\nkept the scratch database: ${database.url}`);
    } else {
      await database.drop();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
