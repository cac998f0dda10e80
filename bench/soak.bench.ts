/**
 * Vendor fault soak: a 100k-member mirror sync (5% global holdout, 10% control group) against a
 * fake vendor answering, seeded, 20% 429 (Retry-After: 1), 5% 503 and 2% hangs past the call
 * timeout. Checks that everything is eventually delivered (applied once per member, follow-up
 * syncs allowed for batches that ran out of attempts), no held-out member is ever sent and retries
 * stay bounded; reports requests, faults, retries, duration and members/s against the same sync to
 * a fault-free fake in the same run (the ratio column).
 *
 *   npm run bench -- soak                      # 100,000 members
 *   npm run bench -- soak --members=20000      # quicker
 *   options: --batch=500 --concurrency=8 --seed=42
 */
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { DestinationGates, resolveSyncEngineOptions, SyncRunner, SyncService } from '@audiencekit/activation-engine';
import { createDataSource } from '@audiencekit/persistence';
import type { JobQueue } from '@audiencekit/server-core';
import { DataSource } from 'typeorm';
import { FaultMix, FaultyVendor, faultyListConnector, NO_FAULTS, startFaultyVendor } from '../apps/worker/test/faulty-vendor';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const MEMBERS = Number(argument('members') ?? 100_000);
const BATCH = Number(argument('batch') ?? 500);
const CONCURRENCY = Number(argument('concurrency') ?? 8);
const SEED = Number(argument('seed') ?? 42);
const MAX_RUNS = 3;
const ENGINE = resolveSyncEngineOptions({
  callTimeoutMs: 2_000,
  maxAttempts: 8,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  maxRetryAfterMs: 5_000,
  breakerThreshold: 1_000,
});
const FAULTS: FaultMix = {
  throttled: 0.2,
  serverErrors: 0.05,
  hangs: 0.02,
  retryAfterSeconds: '1',
  hangMs: ENGINE.callTimeoutMs + 1_000,
  seed: SEED,
};

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

async function seed(dataSource: DataSource): Promise<{ segmentId: string; profileIds: string[] }> {
  await dataSource.query(`UPDATE global_holdout SET share = 0.05, salt = 'soak-global' WHERE id = 1`);
  const [segment] = await dataSource.query(
    `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('soak', 'Soak', 'bench', 'manual', 1) RETURNING id`,
  );
  const rows: { id: string }[] = await dataSource.query(
    `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
          e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'soak' || n || '@example.com', id FROM p),
          m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $2, id, now(), gen_random_uuid() FROM p)
     SELECT id FROM p`,
    [MEMBERS, segment.id],
  );
  for (const table of ['profiles', 'identities', 'segment_memberships']) await dataSource.query(`VACUUM ANALYZE ${table}`);
  return { segmentId: segment.id, profileIds: rows.map((row) => row.id) };
}

interface SoakResult {
  ms: number;
  runs: number;
  statuses: string[];
  retried: number;
}

/** One activation of the segment to `vendor`, synced until it succeeds (at most MAX_RUNS runs). */
async function soak(
  dataSource: DataSource,
  segmentId: string,
  vendor: FaultyVendor,
  name: string,
): Promise<SoakResult & { activationId: string }> {
  const connector = faultyListConnector({ maxBatchSize: BATCH, maxRequestsPerSecond: 1_000, maxConcurrency: CONCURRENCY });
  const runner = new SyncRunner(
    dataSource,
    [connector],
    { AK_CONNECTOR_BASE_URLS: { 'faulty-list': vendor.url } },
    ENGINE,
    new DestinationGates(),
  );
  const queue = { ensureQueue: async () => undefined, sendInTransaction: async () => 'bench' } as unknown as JobQueue;
  const syncs = new SyncService(dataSource, queue, runner, ENGINE);
  const [destination] = await dataSource.query(`INSERT INTO destinations (name, connector) VALUES ($1, 'faulty-list') RETURNING id`, [
    name,
  ]);
  const [activation] = await dataSource.query(
    `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ($1, $2, $3, 'mirror', 0.1, 'soak-salt', 'manual') RETURNING id`,
    [name, segmentId, destination.id],
  );
  const statuses: string[] = [];
  let retried = 0;
  const ms = await timeIt(async () => {
    while (statuses.length < MAX_RUNS && statuses[statuses.length - 1] !== 'succeeded') {
      const run = await syncs.requestSync(activation.id);
      await syncs.execute(run.id);
      const view = await syncs.getRun(run.id);
      statuses.push(view.status);
      retried += view.counts.retried ?? 0;
    }
  });
  return { ms, runs: statuses.length, statuses, retried, activationId: activation.id };
}

/** The checks of the soak: each one throws, so a broken guarantee fails the benchmark. */
function verify(vendor: FaultyVendor, result: SoakResult, treated: Set<string>, heldOut: Set<string>): void {
  if (result.statuses[result.statuses.length - 1] !== 'succeeded')
    throw new Error(`not delivered after ${MAX_RUNS} runs: ${result.statuses.join(', ')}`);
  const sentHeldOut = vendor.calls.flatMap((call) => call.members).filter((member) => heldOut.has(member.profileId));
  if (sentHeldOut.length) throw new Error(`${sentHeldOut.length} held-out members sent`);
  const applied = vendor.applied().map((member) => member.profileId);
  const unique = new Set(applied);
  if (unique.size !== applied.length) throw new Error(`${applied.length - unique.size} members applied twice`);
  if (unique.size !== treated.size || [...treated].some((id) => !unique.has(id)))
    throw new Error(`applied ${unique.size} of ${treated.size} treated members`);
  const attempts = new Map<string, number>();
  for (const call of vendor.calls) attempts.set(call.idempotencyKey, (attempts.get(call.idempotencyKey) ?? 0) + 1);
  const most = Math.max(...attempts.values());
  if (most > ENGINE.maxAttempts) throw new Error(`a batch was tried ${most} times (bound ${ENGINE.maxAttempts})`);
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('soak');
  const dataSource = await createDataSource({ url: database.url, poolSize: 12, applicationName: 'bench-soak-engine' }).initialize();
  const [clean, faulty] = [await startFaultyVendor({ ...NO_FAULTS, seed: SEED }), await startFaultyVendor(FAULTS)];
  try {
    const { segmentId, profileIds } = await seed(dataSource);
    const global = createHoldoutAssigner('soak-global', 0.05);
    const control = createHoldoutAssigner('soak-salt', 0.1);
    const heldOut = new Set(profileIds.filter((id) => global.isControl(id) || control.isControl(id)));
    const treated = new Set(profileIds.filter((id) => !heldOut.has(id)));
    console.log(
      `${MEMBERS.toLocaleString('en-US')} members, ${treated.size.toLocaleString('en-US')} treated; batches of ${BATCH}, ${CONCURRENCY} in flight; seed ${SEED}\n`,
    );

    const baseline = await soak(dataSource, segmentId, clean, 'clean vendor');
    verify(clean, baseline, treated, heldOut);
    const faults = await soak(dataSource, segmentId, faulty, 'faulty vendor');
    verify(faulty, faults, treated, heldOut);

    const row = (name: string, vendor: FaultyVendor, result: SoakResult, baselineRate: number) => {
      const sentHeldOut = vendor.calls.flatMap((call) => call.members).filter((member) => heldOut.has(member.profileId)).length;
      const counts = vendor.counts();
      const rate = treated.size / (result.ms / 1000);
      return {
        vendor: name,
        runs: result.runs,
        requests: counts.requests,
        '429s': counts['429'],
        '5xx': counts['5xx'],
        timeouts: counts.timeout,
        retries: result.retried,
        'most tries/batch': Math.max(...[...countBy(vendor.calls.map((call) => call.idempotencyKey)).values()]),
        delivered: vendor.applied().length,
        'held out sent': sentHeldOut,
        seconds: result.ms / 1000,
        'members/s': Math.round(rate),
        'ratio to clean': rate / baselineRate,
      };
    };
    const cleanRate = treated.size / (baseline.ms / 1000);
    printTable([row('clean (baseline)', clean, baseline, cleanRate), row('20% 429, 5% 5xx, 2% hang', faulty, faults, cleanRate)]);
  } finally {
    await clean.stop();
    await faulty.stop();
    await dataSource.destroy();
    await database.drop();
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
