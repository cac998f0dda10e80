/**
 * Ingestion throughput: N synthetic events (default 1M) sent through POST /v1/batch of the real
 * API (a child process, as in production: validation, identity stitching, durable commit before
 * the 200) against a raw COPY of the same rows into a scratch table with the events table's
 * structure and indexes (`LIKE events INCLUDING ALL`) — the fastest way Postgres can store them,
 * with no stitching at all. Prints events/s for both and the ratio (target: HTTP ≥ 0.5 × COPY).
 *
 *   npm run bench -- ingest                                  # 1M events
 *   npm run bench -- ingest --events=100000                  # smaller (or INGEST_BENCH_EVENTS=100000)
 *   npm run bench -- ingest --batch=500 --concurrency=4 --users=50000 --active-sessions=300
 *   npm run bench -- ingest --shape=uniform                  # every event from a random person
 *   npm run bench -- ingest --audience=shared                # concurrent batches share their people
 *   npm run bench -- ingest --api-processes=1                # the API's API_PROCESSES (default auto: one per core)
 *   npm run bench -- ingest --geo=on                         # one run only: on, off (default both)
 *
 * Geo enrichment (issue 20): the API looks up every event's IP (context.location) and parses its
 * user agent (context.device.type). `--geo=both` runs the whole bench twice, each on a fresh
 * database with its own COPY baseline: `off` sends private addresses (10.x.y.z: no lookup, no
 * location stored, everything else as `on`), `on` public ones the database places (one per person).
 * It prints each run's HTTP / COPY ratio and the drop from off to on (target: at most 10 %).
 *
 * Request bodies and COPY text are generated before either clock starts, so neither side pays for
 * making up data. Uses DATABASE_URL's server, else the local one (see bench/lib/bench-database.ts).
 * INGEST_BENCH_API_NODE_OPTIONS passes node flags to the API process (e.g. `--cpu-prof`).
 * `--db-transport=tcp` reaches a local Postgres over TCP instead of its Unix socket; `--client=fetch`
 * sends with fetch instead of node:http. Besides events/s it prints CPU time per event (API
 * process, Postgres backends, this client; from /proc), which moves less with other load.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ApiKeyEntity } from '@audiencekit/persistence';
import { generateApiKey } from '@audiencekit/server-core';
import { withApiNodeFlags } from '../apps/api/src/api-processes';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const EVENTS = Number(argument('events') ?? process.env.INGEST_BENCH_EVENTS ?? 1_000_000);
const BATCH = Number(argument('batch') ?? 500);
const CONCURRENCY = Number(argument('concurrency') ?? 4);
const USERS = Number(argument('users') ?? Math.max(1_000, Math.round(EVENTS / 20)));
const ACTIVE = Number(argument('active-sessions') ?? 300);
const SHAPE = argument('shape') ?? 'sessions';
const AUDIENCE = argument('audience') ?? 'separate';
const TRANSPORT = argument('db-transport') ?? 'socket';
const CLIENT = argument('client') ?? 'http';
// API_PROCESSES of the API under test: `auto` is one per core, how a machine running only the API is set up.
const API_PROCESSES = argument('api-processes') ?? 'auto';
const GEO = argument('geo') ?? 'both';
const START = Date.parse('2024-01-01T00:00:00Z');

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** A small deterministic PRNG (mulberry32), so every run sends the same events. */
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

const TRACK_EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Product List Viewed', 'Coupon Applied'];
const PAGES = ['Home', 'Pricing', 'Search', 'Category', 'Product', 'Cart'];
const CATEGORIES = ['Kitchen', 'Garden', 'Gifts', 'Lighting', 'Toys'];

interface SyntheticEvent {
  type: 'identify' | 'track' | 'page';
  messageId: string;
  userId: string | null;
  anonymousId: string;
  user: number;
  timestamp: string;
  name: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
}

interface Session {
  user: number;
  anonymousId: string;
  /** Registered users log in at this event of the session (0: already logged in); -1: never. */
  loginAt: number;
  length: number;
  done: number;
}

/**
 * Web traffic as it arrives: ACTIVE sessions interleaved, each 3–30 events long (mean ≈ 12), one
 * event every 100 ms site-wide, so a session lasts minutes and a person comes back in later
 * sessions (USERS people for EVENTS / 12 sessions). 70% of people are registered; a registered
 * person is usually logged in on a known device, but 10% of their sessions start anonymous on a
 * new device and log in after a few events (so profiles merge). Mix: a page view to start, an
 * identify at login, then 75% track (e-commerce events with product properties) and 25% page.
 * Messages are ~450 bytes of JSON, like a server-side library's. `--shape=uniform` instead draws
 * every event's person at random (no sessions), the worst case for per-person work.
 */
function trafficGenerator(
  next: () => number,
  audience: { first: number; size: number },
  addressOf: (user: number) => string,
): (index: number) => SyntheticEvent {
  const uniform = SHAPE === 'uniform';
  const sessions: Session[] = [];
  let sessionCount = 0;
  const newSession = (): Session => {
    const user = audience.first + Math.floor(next() * audience.size);
    const registered = user % 10 < 7;
    const newDevice = registered && next() < 0.1;
    sessionCount += 1;
    return {
      user,
      anonymousId: newDevice ? `anon-${user}-s${sessionCount}` : `anon-${user}`,
      loginAt: !registered ? -1 : newDevice ? 1 + Math.floor(next() * 3) : 0,
      length: 3 + Math.floor(-Math.log(1 - next()) * 9),
      done: 0,
    };
  };
  return (index) => {
    let session: Session;
    if (uniform) {
      session = newSession();
      session.done = 1 + Math.floor(next() * 5);
    } else {
      while (sessions.length < ACTIVE) sessions.push(newSession());
      const slot = Math.floor(next() * sessions.length);
      session = sessions[slot];
      if (session.done + 1 >= session.length) sessions[slot] = newSession();
    }
    const step = session.done++;
    const loggedIn = session.loginAt >= 0 && step >= session.loginAt;
    const type = step === session.loginAt && step > 0 ? 'identify' : step === 0 ? 'page' : next() < 0.75 ? 'track' : 'page';
    return syntheticEvent(index, session, loggedIn, type, next, addressOf);
  };
}

/**
 * The traffic split among the senders. `separate` (default): each sender is an independent source
 * (an app server with its own audience, say) sending its batches one after the other, as a
 * Segment library does. `shared`: one interleaved stream whose consecutive batches are sent
 * concurrently, so concurrent batches keep bringing the same new people (the worst case for
 * ingestion's locks on new identifiers).
 */
function streams(addressOf: (user: number) => string): { bodies: Buffer[][]; copyChunks: Buffer[]; bytes: number } {
  const separate = AUDIENCE === 'separate';
  const sources = separate ? CONCURRENCY : 1;
  const bodies: Buffer[][] = Array.from({ length: sources }, () => []);
  const copyChunks: Buffer[] = [];
  let bytes = 0;
  for (let source = 0; source < sources; source++) {
    const next = random(42 + source);
    const size = Math.floor(USERS / sources);
    const eventAt = trafficGenerator(next, { first: source * size, size }, addressOf);
    const first = Math.floor((EVENTS * source) / sources);
    const last = Math.floor((EVENTS * (source + 1)) / sources);
    for (let start = first; start < last; start += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, last - start) }, (_, offset) => eventAt(start + offset));
      const body = Buffer.from(JSON.stringify({ batch: events.map(toMessage), sentAt: new Date().toISOString() }));
      bytes += body.length;
      bodies[source].push(body);
      copyChunks.push(Buffer.from(events.map(toCopyLine).join('')));
    }
  }
  return { bodies, copyChunks, bytes };
}

function syntheticEvent(
  index: number,
  session: Session,
  loggedIn: boolean,
  type: SyntheticEvent['type'],
  next: () => number,
  addressOf: (user: number) => string,
): SyntheticEvent {
  const { user } = session;
  const timestamp = new Date(START + index * 100 + Math.floor(next() * 100)).toISOString();
  const context = {
    library: { name: 'analytics-node', version: '3.1.0' },
    ip: addressOf(user),
    userAgent: USER_AGENTS[user % USER_AGENTS.length],
  };
  const base = {
    messageId: `bench-${index}`,
    userId: loggedIn ? `user-${user}` : null,
    anonymousId: session.anonymousId,
    user,
    timestamp,
    context,
  };
  if (type === 'identify') {
    return {
      ...base,
      type,
      name: null,
      properties: { email: `user-${user}@example.com`, plan: ['free', 'pro', 'team'][user % 3], firstName: `Name${user % 997}` },
    };
  }
  if (type === 'page') {
    const page = PAGES[Math.floor(next() * PAGES.length)];
    return {
      ...base,
      type,
      name: page,
      properties: { path: `/${page.toLowerCase()}`, title: `${page} | Shop`, referrer: 'https://www.google.com/' },
    };
  }
  const price = Math.round(next() * 10_000) / 100;
  const quantity = 1 + Math.floor(next() * 3);
  return {
    ...base,
    type,
    name: TRACK_EVENTS[Math.floor(next() * TRACK_EVENTS.length)],
    properties: {
      product_id: `sku-${Math.floor(next() * 5_000)}`,
      category: CATEGORIES[Math.floor(next() * CATEGORIES.length)],
      price,
      quantity,
      revenue: Math.round(price * quantity * 100) / 100,
      currency: 'GBP',
    },
  };
}

// Public /8s (RIPE, ARIN, APNIC): every person's address is one the geolocation database places
// (issue 20: the API looks each up), the same for all of a person's events, as a household's is.
// `--geo=off` sends private ones instead (the API looks nothing up for them).
const PUBLIC_FIRST_OCTETS = [2, 5, 24, 31, 37, 46, 62, 66, 77, 78, 81, 82, 86, 89, 92, 94, 109, 176, 185, 212];

function publicAddress(user: number): string {
  return `${PUBLIC_FIRST_OCTETS[user % PUBLIC_FIRST_OCTETS.length]}.${(user >> 4) % 256}.${(user >> 12) % 256}.${(user % 250) + 1}`;
}

function privateAddress(user: number): string {
  return `10.${user % 250}.${(user >> 8) % 250}.${(user >> 16) % 250}`;
}

// A few real browsers' agents (the API derives context.device.type from them: mobile, tablet, desktop).
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
];

function toMessage(event: SyntheticEvent): Record<string, unknown> {
  const ids = {
    messageId: event.messageId,
    ...(event.userId ? { userId: event.userId } : {}),
    anonymousId: event.anonymousId,
    timestamp: event.timestamp,
    context: event.context,
  };
  if (event.type === 'identify') return { type: 'identify', ...ids, traits: event.properties };
  if (event.type === 'page') return { type: 'page', ...ids, name: event.name, properties: event.properties };
  return { type: 'track', ...ids, event: event.name, properties: event.properties };
}

// The HTTP side stores the write key's id in source_id: the COPY side stores one too, so both write the same columns.
const COPY_SOURCE_ID = '00000000-0000-4000-8000-0000000000aa';

/** One COPY text-format line of the events columns (JSON never holds a raw tab or newline; backslashes double). */
function toCopyLine(event: SyntheticEvent): string {
  const profileId = `00000000-0000-4000-8000-${event.user.toString(16).padStart(12, '0')}`;
  const text = (value: string | null) => (value === null ? '\\N' : value.replace(/\\/g, '\\\\'));
  return (
    [
      event.messageId,
      profileId,
      event.type,
      text(event.name),
      event.timestamp,
      text(JSON.stringify(event.properties)),
      text(JSON.stringify(event.context)),
      text(event.userId),
      text(event.anonymousId),
      COPY_SOURCE_ID,
    ].join('\t') + '\n'
  );
}

async function copyBaseline(url: string, chunks: Buffer[]): Promise<{ ms: number; backendCpu: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bench_copy_events (LIKE events INCLUDING ALL)`);
    await checkpoint(client);
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
    const cpuBefore = cpuSeconds(pid);
    const ms = await timeIt(async () => {
      const copy = client.query(
        copyFrom(
          `COPY bench_copy_events (message_id, profile_id, type, name, timestamp, properties, context, user_id, anonymous_id, source_id) FROM STDIN`,
        ),
      );
      await pipeline(Readable.from(chunks), copy);
    });
    const backendCpu = cpuSeconds(pid) - cpuBefore;
    const [{ count }] = (await client.query(`SELECT count(*)::int AS count FROM bench_copy_events`)).rows;
    if (count !== EVENTS) throw new Error(`COPY stored ${count} rows, expected ${EVENTS}`);
    // Measured: drop it, or autovacuum would vacuum and analyze its N fresh rows during the HTTP run.
    await client.query(`DROP TABLE bench_copy_events`);
    return { ms, backendCpu };
  } finally {
    await client.end();
  }
}

/** Starts the real API (apps/api/src/main.ts) on a free port against the bench database. */
async function startApi(url: string): Promise<{ baseUrl: string; child: ChildProcess }> {
  // As the API is run (API_NODE_FLAGS: a cluster primary gives them to its processes, npm start to a single one).
  const nodeFlags = withApiNodeFlags(process.env.INGEST_BENCH_API_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []);
  const child = spawn(process.execPath, [...nodeFlags, '-r', '@swc-node/register', path.resolve(__dirname, '../apps/api/src/main.ts')], {
    env: { ...process.env, DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'warn', DB_POOL_SIZE: String(CONCURRENCY + 2), API_PROCESSES },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (seen.includes('listening on')) return void process.stderr.write(chunk); // the API's warnings and errors
      seen += String(chunk);
      const match = seen.match(/listening on (\S+)/);
      if (match) resolve({ baseUrl: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before listening: ${seen}`)));
  });
}

async function httpIngest(baseUrl: string, writeKey: string, streamsOfBodies: Buffer[][]): Promise<number> {
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const check = (status: number, text: string) => {
    const result = JSON.parse(text) as { stored?: number; rejected?: unknown[]; message?: string };
    if (status !== 200 || result.rejected?.length) throw new Error(`batch answered ${status}: ${text.slice(0, 500)}`);
  };
  // node:http with keep-alive costs this process about half the CPU of fetch (undici) per request,
  // CPU the API and Postgres share on a small machine; `--client=fetch` measures with fetch.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(`${baseUrl}/v1/batch`);
  const send =
    CLIENT === 'fetch'
      ? async (body: Buffer) => {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
          check(response.status, await response.text());
        }
      : (body: Buffer) =>
          new Promise<void>((resolve, reject) => {
            const request = http.request(
              url,
              { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization } },
              (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => chunks.push(chunk));
                response.once('end', () => {
                  try {
                    resolve(check(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
                  } catch (error) {
                    reject(error);
                  }
                });
                response.once('error', reject);
              },
            );
            request.once('error', reject);
            request.end(body);
          });
  if (streamsOfBodies.length > 1) {
    // One sender per source, each waiting for its previous batch's answer.
    return timeIt(() =>
      Promise.all(
        streamsOfBodies.map(async (bodies) => {
          for (const body of bodies) await send(body);
        }),
      ),
    );
  }
  const [bodies] = streamsOfBodies;
  let nextBody = 0;
  const sender = async () => {
    while (nextBody < bodies.length) await send(bodies[nextBody++]);
  };
  return timeIt(() => Promise.all(Array.from({ length: CONCURRENCY }, sender)));
}

/**
 * The URL both sides use. A Postgres on this machine is reached through its Unix socket when it
 * has one (`--db-transport=tcp` keeps TCP): over loopback TCP the kernel charges both ends'
 * network stack to the sending process, which on two cores is CPU taken from the API and from
 * Postgres. COPY and the API use the same transport, so the comparison stays like for like.
 */
function databaseUrl(url: string): string {
  const parsed = new URL(url);
  const socketDir = '/var/run/postgresql';
  const local = ['127.0.0.1', 'localhost'].includes(parsed.hostname);
  if (TRANSPORT !== 'socket' || !local || !existsSync(`${socketDir}/.s.PGSQL.${parsed.port || 5432}`)) return url;
  parsed.searchParams.set('host', socketDir);
  return parsed.toString();
}

/** User + system CPU seconds a process has used so far (from /proc; 0 where there is no /proc). */
function cpuSeconds(pid: number, which: 'all' | 'sys' = 'all'): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((which === 'sys' ? 0 : Number(fields[11])) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of a process and of its children (the API's processes under a cluster primary). */
function treeCpuSeconds(pid: number, which: 'all' | 'sys' = 'all'): number {
  return [pid, ...childrenOf(pid)].reduce((sum, member) => sum + cpuSeconds(member, which), 0);
}

function childrenOf(parent: number): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === parent ? [Number(pid)] : [];
        } catch {
          return [];
        }
      });
  } catch {
    return [];
  }
}

/** The Postgres backends serving a database, except the asking connection. */
async function backendPids(query: (sql: string, parameters: unknown[]) => Promise<{ pid: number }[]>, database: string): Promise<number[]> {
  const rows = await query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  return rows.map((row) => row.pid);
}

const cpuUsageSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

/** Busy and idle jiffies of all cores (the first line of /proc/stat). */
function machineCpu(): { busy: number; idle: number } {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
  } catch {
    return { busy: 0, idle: 1 };
  }
}

const perEvent = (seconds: number) => Math.round((seconds * 1e6) / EVENTS);

async function checkpoint(client: Client): Promise<void> {
  // Start each side with no pending checkpoint work from the other (needs superuser; skipped otherwise).
  await client.query('CHECKPOINT').catch(() => undefined);
}

interface RunResult {
  geo: 'on' | 'off';
  copyMs: number;
  httpMs: number;
  /** API processes' CPU per event, µs. */
  apiCpuPerEvent: number;
  /** The API's Postgres backends' CPU per event, µs. */
  backendCpuPerEvent: number;
  located: number;
}

async function main(): Promise<void> {
  console.log(
    `${EVENTS.toLocaleString('en-US')} events (${SHAPE}, ${AUDIENCE} audiences, client ${CLIENT}), ${USERS.toLocaleString('en-US')} people, ${SHAPE === 'sessions' ? `${ACTIVE} sessions at a time, ` : ''}batches of ${BATCH}, ${CONCURRENCY} requests in flight, API_PROCESSES=${API_PROCESSES}`,
  );
  if (!['on', 'off', 'both'].includes(GEO)) throw new Error(`--geo must be on, off or both, not ${GEO}`);
  // Off first: a run with the lookups does not warm anything the other one uses (fresh database, fresh API).
  const modes = GEO === 'both' ? (['off', 'on'] as const) : [GEO as 'on' | 'off'];
  const results: RunResult[] = [];
  for (const geo of modes) results.push(await runOnce(geo));
  if (results.length < 2) return;
  const [off, on] = results;
  const ratio = (result: RunResult) => result.copyMs / result.httpMs;
  console.log('\n=== geo enrichment off vs on ===');
  printTable(
    results.map((result) => ({
      'geo enrichment': result.geo === 'on' ? 'on (public IPs: lookup + location stored)' : 'off (private IPs: no lookup)',
      'events located': result.located,
      'COPY events/s': Math.round(EVENTS / (result.copyMs / 1000)),
      'HTTP events/s': Math.round(EVENTS / (result.httpMs / 1000)),
      'HTTP / COPY': ratio(result),
      'API CPU µs/event': result.apiCpuPerEvent,
      'Postgres CPU µs/event': result.backendCpuPerEvent,
    })),
  );
  const drop = (1 - ratio(on) / ratio(off)) * 100;
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${value}`;
  console.log(
    `\nHTTP / COPY ${ratio(off).toFixed(3)} off, ${ratio(on).toFixed(3)} on: a drop of ${drop.toFixed(1)} % (target: at most 10 %)`,
  );
  // Each run has its own COPY, so the ratio also moves with the machine's load between them; these do less.
  console.log(
    `HTTP events/s on / off = ${(off.httpMs / on.httpMs).toFixed(3)}; CPU per event with geo enrichment: API ${signed(on.apiCpuPerEvent - off.apiCpuPerEvent)} µs, Postgres backends ${signed(on.backendCpuPerEvent - off.backendCpuPerEvent)} µs`,
  );
}

async function runOnce(geo: 'on' | 'off'): Promise<RunResult> {
  console.log(`\n--- geo enrichment ${geo} ---`);
  const generated = streams(geo === 'on' ? publicAddress : privateAddress);
  console.log(
    `generated ${generated.copyChunks.length.toLocaleString('en-US')} request bodies (${(generated.bytes / 1e6).toFixed(0)} MB of JSON)\n`,
  );
  const database = await createBenchDatabase('ingest');
  const url = databaseUrl(database.url);
  console.log(`Postgres over ${url === database.url ? 'TCP' : 'its Unix socket'} (COPY and API alike)`);
  let api: { baseUrl: string; child: ChildProcess } | undefined;
  try {
    const { ms: copyMs, backendCpu: copyBackendCpu } = await copyBaseline(url, generated.copyChunks);
    generated.copyChunks.length = 0;

    const { secret, prefix, hash } = generateApiKey('write');
    await database.dataSource
      .getRepository(ApiKeyEntity)
      .save({ name: 'bench source', role: 'write', trust: 'server', prefix, keyHash: hash });
    // INGEST_BENCH_LOG_STATEMENTS=1 logs every statement of the API's connections with its duration
    // (the server's log; needs superuser): how many round trips a batch costs, and which are slow.
    if (process.env.INGEST_BENCH_LOG_STATEMENTS)
      await database.dataSource.query(`ALTER DATABASE ${new URL(database.url).pathname.slice(1)} SET log_min_duration_statement = 0`);
    api = await startApi(url);
    await database.dataSource.query('CHECKPOINT').catch(() => undefined);
    const databaseName = new URL(database.url).pathname.slice(1);
    const pids = () => backendPids((sql, parameters) => database.dataSource.query(sql, parameters), databaseName);
    const backendsCpu = async () => (await pids()).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const apiPid = api.child.pid ?? 0;
    const apiCpuBefore = treeCpuSeconds(apiPid);
    const apiSysBefore = treeCpuSeconds(apiPid, 'sys');
    const backendCpuBefore = await backendsCpu(); // the pool connects lazily: few or none yet
    const benchCpuBefore = process.cpuUsage();
    const machineBefore = machineCpu();
    const httpMs = await httpIngest(api.baseUrl, secret, generated.bodies);
    const apiCpu = treeCpuSeconds(apiPid) - apiCpuBefore;
    const apiSys = treeCpuSeconds(apiPid, 'sys') - apiSysBefore;
    const backendCpu = (await backendsCpu()) - backendCpuBefore;
    const benchCpu = cpuUsageSeconds(process.cpuUsage(benchCpuBefore));
    const machine = machineCpu();

    const [stored] = await database.dataSource.query(
      `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM events WHERE context ? 'location') AS located,
              (SELECT count(*)::int FROM profiles WHERE merged_into IS NULL) AS profiles, (SELECT count(*)::int FROM identities) AS identities`,
    );
    if (stored.events !== EVENTS) throw new Error(`the API stored ${stored.events} events, expected ${EVENTS}`);
    // The two runs differ by the lookups: none located without them (a person whose address the database does not place has none either).
    if (geo === 'off' ? stored.located !== 0 : stored.located === 0)
      throw new Error(`geo ${geo}: ${stored.located} of ${EVENTS} stored events have a context.location`);
    const rate = (ms: number) => Math.round(EVENTS / (ms / 1000));
    printTable([
      { path: 'raw COPY into a scratch table (baseline)', events: EVENTS, seconds: copyMs / 1000, 'events/s': rate(copyMs) },
      { path: 'POST /v1/batch (validate, stitch, commit)', events: EVENTS, seconds: httpMs / 1000, 'events/s': rate(httpMs) },
    ]);
    console.log(
      `\nHTTP / COPY = ${(copyMs / httpMs).toFixed(2)} (target ≥ 0.50); the API also wrote ${stored.profiles.toLocaleString('en-US')} profiles and ${stored.identities.toLocaleString('en-US')} identities`,
    );
    // CPU time per event moves much less with the machine's load than events/s do.
    console.log(
      `CPU per event (user+sys): COPY backend ${perEvent(copyBackendCpu)} µs;  HTTP: API processes ${perEvent(apiCpu)} µs (${perEvent(apiSys)} of it system) + Postgres backends ${perEvent(backendCpu)} µs (+ this client ${perEvent(benchCpu)} µs)`,
    );
    const busy = machine.busy - machineBefore.busy;
    console.log(
      `machine during the HTTP run: ${((busy / (busy + machine.idle - machineBefore.idle)) * 100).toFixed(0)}% of all cores busy`,
    );
    console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    return { geo, copyMs, httpMs, apiCpuPerEvent: perEvent(apiCpu), backendCpuPerEvent: perEvent(backendCpu), located: stored.located };
  } finally {
    if (api) {
      api.child.kill('SIGTERM');
      await once(api.child, 'exit');
    }
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
