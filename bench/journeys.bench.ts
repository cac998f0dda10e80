/**
 * Journeys at scale (issue #23): N profiles enter a live four-step journey — send, wait, send,
 * wait — run by a journey worker process (`bench/lib/journey-worker.ts`: libs/journey-engine's
 * JourneyEngine.runPass over libs/activation-engine's DirectDelivery, the production classes, in a
 * pass loop) against a fake vendor on 127.0.0.1 (`bench/lib/bench-send-connector.ts`). Entries
 * arrive as `added` changes of the entry segment (the outbox trigger turns them into pending
 * entries), spread over `--entry-seconds`, so every wait's timer falls due while others are in flight.
 *
 * Measured:
 * - lag, p50 / p95 / p99 / max: entry (change committed) → first message at the vendor; each
 *   wait's due time → the step after it applied (the next message at the vendor, or the exit);
 *   target p99 ≤ 5 s. A wait's due time is read from the entry row when it starts waiting (a bench
 *   trigger on `journey_entries` copies it to `bench_due`, first value per entry and step);
 * - worker CPU (user + system of the worker process, /proc) and its Postgres backends' CPU, per
 *   1,000 step transitions (rows of `journey_step_log`: one per step applied);
 * - peak worker RSS (VmRSS sampled every 250 ms);
 * - no control entry reaches the vendor (the bench fails otherwise), every treatment entry
 *   receives each message once (by delivery key; the bench fails on a duplicate).
 * Baseline, same process, same database: the same number of transitions as plain UPDATEs of the
 * state table (`journey_entries`, batches of 500 by id: the least any engine must write), its CPU
 * (this process + its backend) per 1,000; the ratio is the engine's over it.
 *
 *   npm run bench -- journeys                         # 100,000 profiles
 *   options: --profiles=10000 --entry-seconds=60 --wait-seconds=30 --holdout=0.1 --pass-ms=250 --timeout-seconds=1800
 *            --worker=engine|app   (app: the real apps/worker process, the connector through its AK_EXTRA_CONNECTORS
 *                                   hook and AK_JOURNEY_PASS_MS; its other periodic jobs run too)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createBenchDatabase } from './lib/bench-database';
import { processCpuMs, rssMiB, startWorker } from './lib/app-processes';
import { printTable } from './lib/report';

const PROFILES = Number(argument('profiles') ?? 100_000);
const ENTRY_SECONDS = Number(argument('entry-seconds') ?? 60);
const WAIT_SECONDS = Number(argument('wait-seconds') ?? 30);
const HOLDOUT = Number(argument('holdout') ?? 0.1);
const TIMEOUT_SECONDS = Number(argument('timeout-seconds') ?? 1800);
const PASS_MS = Number(argument('pass-ms') ?? 250);
/** `engine`: bench/lib/journey-worker.ts (journeys only); `app`: the real apps/worker process (every job module). */
const WORKER = argument('worker') ?? 'engine';
const BASELINE_BATCH = 500;

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fake vendor: records each message's arrival (ms since epoch) by delivery key and by profile. */
interface Vendor {
  url: string;
  arrivals: Map<string, { profileId: string; text: string; at: number }>;
  duplicates: number;
  requests: number;
  stop: () => Promise<void>;
}

async function startVendor(): Promise<Vendor> {
  const arrivals = new Map<string, { profileId: string; text: string; at: number }>();
  const vendor = { arrivals, duplicates: 0, requests: 0 };
  const seenBatches = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const at = Date.now();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      vendor.requests += 1;
      const key = String(req.headers['idempotency-key'] ?? '');
      // A retried batch (same idempotency key) is acknowledged again and not counted twice.
      if (!seenBatches.has(key)) {
        seenBatches.add(key);
        const parsed = JSON.parse(body) as { text: string; members: { profileId: string; deliveryKey: string }[] };
        for (const member of parsed.members) {
          if (arrivals.has(member.deliveryKey)) vendor.duplicates += 1;
          else arrivals.set(member.deliveryKey, { profileId: member.profileId, text: parsed.text, at });
        }
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(vendor, {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function lagRow(label: string, lagsMs: number[]): Record<string, string | number> {
  const sorted = [...lagsMs].sort((a, b) => a - b);
  return {
    measure: label,
    count: sorted.length,
    'p50 s': percentile(sorted, 50) / 1000,
    'p95 s': percentile(sorted, 95) / 1000,
    'p99 s': percentile(sorted, 99) / 1000,
    'max s': (sorted[sorted.length - 1] ?? NaN) / 1000,
  };
}

const STEP_IDS = ['offer_1', 'wait_1', 'offer_2', 'wait_2'] as const;

function journeyDefinition(entrySegmentId: string, destinationId: string) {
  return {
    entrySegmentId,
    // No goal event is ever tracked here: every treatment entry runs all four steps.
    goal: { event: 'Order Completed', withinDays: 1 },
    holdoutShare: HOLDOUT,
    reEntry: { mode: 'once' },
    steps: [
      { id: 'offer_1', type: 'send', destination: destinationId, message: { text: 'offer 1' } },
      { id: 'wait_1', type: 'wait', seconds: WAIT_SECONDS },
      { id: 'offer_2', type: 'send', destination: destinationId, message: { text: 'offer 2' } },
      { id: 'wait_2', type: 'wait', seconds: WAIT_SECONDS },
    ],
  };
}

async function main(): Promise<void> {
  const db = await createBenchDatabase('journeys');
  const ds = db.dataSource;
  const vendor = await startVendor();
  let worker: ChildProcess | undefined;
  try {
    console.log(
      `${WORKER === 'app' ? 'apps/worker' : 'journey engine worker'}: ${PROFILES.toLocaleString('en-US')} profiles entering over ${ENTRY_SECONDS} s; journey send → wait ${WAIT_SECONDS} s → send → wait ${WAIT_SECONDS} s; ${HOLDOUT * 100}% control; load average ${loadAverage()}`,
    );
    // Profiles with a user id (offered to the connector as external_id).
    await ds.query(`CREATE TABLE bench_profiles AS SELECT n, gen_random_uuid() AS id FROM generate_series(1, $1) n`, [PROFILES]);
    await ds.query(
      `INSERT INTO profiles (id, traits, first_seen_at, last_seen_at) SELECT id, '{}'::jsonb, now(), now() FROM bench_profiles`,
    );
    await ds.query(`INSERT INTO identities (type, value, profile_id) SELECT 'user_id', 'bench-' || n, id FROM bench_profiles`);
    const [segment] = await ds.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence) VALUES ('bench-entry', 'Bench entry', 'bench@audiencekit.local', 'realtime') RETURNING id`,
    );
    const [destination] = await ds.query(`INSERT INTO destinations (name, connector) VALUES ('bench vendor', 'bench-send') RETURNING id`);
    const [journey] = await ds.query(
      `INSERT INTO journeys (key, name, status, current_version, holdout_salt) VALUES ('bench', 'Bench journey', 'live', 1, $1) RETURNING id`,
      [randomBytes(16).toString('hex')],
    );
    await ds.query(`INSERT INTO journey_versions (journey_id, version, entry_segment_id, definition) VALUES ($1, 1, $2, $3)`, [
      journey.id,
      segment.id,
      JSON.stringify(journeyDefinition(segment.id, destination.id)),
    ]);
    // Each entry's due time at each step, as the engine first wrote it (a later sleep keeps the first).
    await ds.query(`CREATE TABLE bench_due (entry_id uuid, step_index int, due_at timestamptz, PRIMARY KEY (entry_id, step_index))`);
    await ds.query(
      `CREATE FUNCTION bench_record_due() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO bench_due SELECT id, step_index, due_at FROM new_rows WHERE state = 'waiting' AND arm = 'treatment' AND due_at IS NOT NULL
         ON CONFLICT DO NOTHING;
         RETURN NULL;
       END $$`,
    );
    await ds.query(
      `CREATE TRIGGER bench_due_on_update AFTER UPDATE ON journey_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_record_due()`,
    );
    await ds.query(`ANALYZE`);

    const secretsKeys = `bench:${randomBytes(32).toString('base64')}`;
    worker =
      WORKER === 'app'
        ? (
            await startWorker({
              DATABASE_URL: db.url,
              AK_SECRETS_KEYS: secretsKeys,
              AK_EXTRA_CONNECTORS: path.join(__dirname, 'lib/bench-send-connector.ts'),
              AK_CONNECTOR_BASE_URLS: `bench-send=${vendor.url}`,
              AK_JOURNEY_PASS_MS: String(PASS_MS),
            })
          ).child
        : await startJourneyWorker({
            DATABASE_URL: db.url,
            AK_SECRETS_KEYS: secretsKeys,
            AK_CONNECTOR_BASE_URLS: `bench-send=${vendor.url}`,
            JOURNEY_PASS_MS: String(PASS_MS),
          });
    const workerPid = worker.pid as number;
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMiB(workerPid)), 250);
    const backendPids = async (): Promise<number[]> =>
      (
        await ds.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name IN ('journey-worker', 'audiencekit-worker')`,
        )
      ).map((row: { pid: number }) => row.pid);
    const backendCpu = new Map<number, { start: number; last: number }>();
    const sampleBackends = async () => {
      for (const pid of await backendPids()) {
        try {
          const cpu = processCpuMs(pid);
          const seen = backendCpu.get(pid);
          backendCpu.set(pid, { start: seen?.start ?? cpu, last: cpu });
        } catch {
          // a backend that just ended (its last sample stays)
        }
      }
    };
    await sleep(1_000); // the worker's start-up is not charged to the journey
    await sampleBackends();
    const workerCpuStart = processCpuMs(workerPid);
    const rssBefore = rssMiB(workerPid);

    // Entries: `added` changes of the entry segment, a slice every 250 ms over ENTRY_SECONDS.
    const started = Date.now();
    const slices = Math.max(1, Math.round((ENTRY_SECONDS * 1000) / 250));
    const perSlice = Math.ceil(PROFILES / slices);
    for (let slice = 0, from = 1; from <= PROFILES; slice += 1, from += perSlice) {
      const wait = started + slice * 250 - Date.now();
      if (wait > 0) await sleep(wait);
      await ds.query(
        `INSERT INTO segment_membership_changes (cause, segment_id, profile_id, change, version, changed_at)
         SELECT 'realtime', $1, id, 'added', 1, clock_timestamp() FROM bench_profiles WHERE n BETWEEN $2 AND $3`,
        [segment.id, from, Math.min(PROFILES, from + perSlice - 1)],
      );
      if (slice % 20 === 0) await sampleBackends();
    }
    console.log(`entries written in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Until every treatment entry is done (the control ones sleep out their goal window: one day).
    const deadline = Date.now() + TIMEOUT_SECONDS * 1000;
    for (;;) {
      const [row] = await ds.query(
        `SELECT count(*) FILTER (WHERE arm = 'treatment' AND state <> 'done')::int AS open, count(*)::int AS entries FROM journey_entries`,
      );
      const pending = Number((await ds.query(`SELECT count(*)::int AS n FROM journey_pending_entries`))[0].n);
      if (row.entries >= PROFILES && row.open === 0 && pending === 0) break;
      if (Date.now() > deadline) throw new Error(`gave up after ${TIMEOUT_SECONDS} s: ${JSON.stringify({ ...row, pending })}`);
      await sampleBackends();
      await sleep(1_000);
    }
    const elapsedS = (Date.now() - started) / 1000;
    await sampleBackends();
    const workerCpuMs = processCpuMs(workerPid) - workerCpuStart;
    const backendsCpuMs = [...backendCpu.values()].reduce((sum, cpu) => sum + cpu.last - cpu.start, 0);
    clearInterval(sampler);
    await stopProcess(worker);
    worker = undefined;

    // Checks: no control entry at the vendor; each treatment entry got each message once.
    const arms = new Map<string, string>(
      (await ds.query(`SELECT profile_id, arm FROM journey_entries`)).map((row: { profile_id: string; arm: string }) => [
        row.profile_id,
        row.arm,
      ]),
    );
    const arrivals = [...vendor.arrivals.values()];
    const toHeldOut = arrivals.filter((arrival) => arms.get(arrival.profileId) !== 'treatment').length;
    const treatment = [...arms.values()].filter((arm) => arm === 'treatment').length;
    if (toHeldOut > 0) throw new Error(`${toHeldOut} messages reached held-out entries`);
    if (vendor.duplicates > 0) throw new Error(`${vendor.duplicates} messages arrived twice (same delivery key)`);
    if (arrivals.length !== treatment * 2)
      throw new Error(`${arrivals.length} messages for ${treatment} treatment entries (expected 2 each)`);

    const transitions = Number(
      (await ds.query(`SELECT count(*)::int AS n FROM journey_step_log WHERE journey_id = $1`, [journey.id]))[0].n,
    );
    await ds.query(`ANALYZE journey_entries, journey_step_log, segment_membership_changes, bench_due`);
    const lags = await measureLags(ds, journey.id, vendor);

    // Baseline: the same number of transitions as plain UPDATEs of the state table, 500 ids a statement.
    const baseline = await plainUpdates(ds, transitions);

    console.log(
      `\n${treatment.toLocaleString('en-US')} treatment / ${(arms.size - treatment).toLocaleString('en-US')} held-out entries, ${arrivals.length.toLocaleString('en-US')} messages (0 to held-out entries, 0 duplicates), ${transitions.toLocaleString('en-US')} step transitions in ${elapsedS.toFixed(1)} s (${Math.round(transitions / elapsedS).toLocaleString('en-US')}/s)\n`,
    );
    printTable(lags);
    console.log('');
    const engineCpuPerK = ((workerCpuMs + backendsCpuMs) / transitions) * 1000;
    const baselineCpuPerK = ((baseline.nodeMs + baseline.backendMs) / transitions) * 1000;
    printTable([
      {
        case: 'journey worker process + its Postgres backends',
        'node CPU ms / 1k transitions': (workerCpuMs / transitions) * 1000,
        'Postgres CPU ms / 1k': (backendsCpuMs / transitions) * 1000,
        'total / 1k': engineCpuPerK,
        'vs baseline': engineCpuPerK / baselineCpuPerK,
      },
      {
        case: `baseline: plain UPDATE of journey_entries (${BASELINE_BATCH} ids a statement)`,
        'node CPU ms / 1k transitions': (baseline.nodeMs / transitions) * 1000,
        'Postgres CPU ms / 1k': (baseline.backendMs / transitions) * 1000,
        'total / 1k': baselineCpuPerK,
        'vs baseline': 1,
      },
    ]);
    console.log(
      `\nworker RSS: ${rssBefore.toFixed(0)} MiB before the entries, peak ${Math.max(...rss).toFixed(0)} MiB; baseline wall ${(baseline.wallMs / 1000).toFixed(1)} s; load average ${loadAverage()}`,
    );
  } finally {
    if (worker) await stopProcess(worker);
    await vendor.stop();
    await db.drop();
  }
}

/** The lags: entry → first message; wait 1 due → second message; wait 2 due → exit. */
async function measureLags(ds: DataSource, journeyId: string, vendor: Vendor): Promise<Record<string, string | number>[]> {
  const arrivalAt = new Map<string, number>();
  for (const [deliveryKey, arrival] of vendor.arrivals) arrivalAt.set(deliveryKey, arrival.at);
  const rows: {
    step_id: string;
    delivery_key: string | null;
    entered: Date;
    due_1: Date | null;
    due_3: Date | null;
    exited_at: Date | null;
  }[] = await ds.query(
    `SELECT l.step_id, l.delivery_key, c.changed_at AS entered, d1.due_at AS due_1, d3.due_at AS due_3, e.exited_at
       FROM journey_step_log l
       JOIN journey_entries e ON e.id = l.entry_id
       JOIN (SELECT profile_id, min(changed_at) AS changed_at FROM segment_membership_changes GROUP BY profile_id) c ON c.profile_id = e.profile_id
       LEFT JOIN bench_due d1 ON d1.entry_id = e.id AND d1.step_index = 1
       LEFT JOIN bench_due d3 ON d3.entry_id = e.id AND d3.step_index = 3
       WHERE l.journey_id = $1 AND e.arm = 'treatment'`,
    [journeyId],
  );
  const firstSend: number[] = [];
  const secondSend: number[] = [];
  const exit: number[] = [];
  for (const row of rows) {
    const arrived = row.delivery_key ? arrivalAt.get(row.delivery_key) : undefined;
    if (row.step_id === STEP_IDS[0] && arrived !== undefined) firstSend.push(arrived - row.entered.getTime());
    if (row.step_id === STEP_IDS[2] && arrived !== undefined && row.due_1) secondSend.push(arrived - row.due_1.getTime());
    if (row.step_id === STEP_IDS[3] && row.exited_at && row.due_3) exit.push(row.exited_at.getTime() - row.due_3.getTime());
  }
  return [
    lagRow('entry committed → 1st message at the vendor', firstSend),
    lagRow(`wait 1 due (${WAIT_SECONDS} s) → 2nd message at the vendor`, secondSend),
    lagRow(`wait 2 due (${WAIT_SECONDS} s) → entry completed`, exit),
  ];
}

/** `transitions` row updates of `journey_entries`, 500 ids a statement, on one connection: CPU of this process and of its backend. */
async function plainUpdates(ds: DataSource, transitions: number): Promise<{ nodeMs: number; backendMs: number; wallMs: number }> {
  const ids: string[] = (await ds.query(`SELECT id FROM journey_entries WHERE arm = 'treatment' ORDER BY id`)).map(
    (row: { id: string }) => row.id,
  );
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [{ pid }] = await runner.query(`SELECT pg_backend_pid() AS pid`);
    const [cpu, backend, wall] = [process.cpuUsage(), processCpuMs(pid), Date.now()];
    for (let done = 0, at = 0; done < transitions; at = (at + BASELINE_BATCH) % ids.length) {
      const batch = ids.slice(at, Math.min(at + BASELINE_BATCH, ids.length, at + transitions - done));
      await runner.query(
        `UPDATE journey_entries SET step_index = step_index + 1, state = 'waiting', due_at = now() + make_interval(secs => $2), wait_started_at = now()
         WHERE id = ANY($1::uuid[])`,
        [batch, WAIT_SECONDS],
      );
      done += batch.length;
    }
    const used = process.cpuUsage(cpu);
    return { nodeMs: (used.user + used.system) / 1000, backendMs: processCpuMs(pid) - backend, wallMs: Date.now() - wall };
  } finally {
    await runner.release();
  }
}

/** The journey worker (bench/lib/journey-worker.ts) as its own process; resolves once it says it is up. */
function startJourneyWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'lib/journey-worker.ts')], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('journey worker up')) resolve(child);
      else process.stdout.write(chunk);
    });
    child.once('exit', (code) => reject(new Error(`the journey worker exited (${code}) before it was up`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
