import { DataSource } from 'typeorm';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase } from '@audiencekit/testing';
import { DestinationGates } from '../delivery/destination-gates';
import { limiterState } from '../limits/rate-limit.repository';
import { destinationKey, quotaKey } from '../limits/shared-rate-limiter';
import { resolveSyncEngineOptions } from '../sync-engine.options';
import { SyncException } from '../sync.exception';
import { FakeVendor, LIMIT_TEST_OPTIONS, startFakeVendor, vendor } from './quota-vendor.fixture';
import type { WorkerReport } from './shared-limits-worker';
import { buildEngine, Engine, seedActivation, seedSegment } from './sync-fixtures';

/**
 * Issue #22, "rate limits that hold across worker processes": three workers sync to destinations of
 * one vendor that enforces, like the Google Ads API, a rate per account and a quota per Cloud
 * project shared by every account of that project, answering 429 with Retry-After. The workers are
 * three engines in this process, each with its own connection pool and in-memory gates, and then
 * three real Node.js processes (shared-limits-worker.ts, spawned through @swc-node/register).
 *
 * The fake measures a sliding one-second window on arrival (Date.now()); the limiter spaces call
 * slots on Postgres' clock, which is this machine's clock too. Nothing here waits for or measures a
 * duration: the only clock that decides is the fake's. The limiter's safety margin is 300 ms in
 * these tests (LIMIT_TEST_OPTIONS; production's default is 100 ms): the delay between a slot and
 * the request's arrival may vary by up to 300 ms between two calls — a loaded machine starting
 * three Node.js processes — without a 429.
 */

describe('rate limits across worker processes (deployment-wide limiter)', () => {
  let db: TestDatabase;
  let fake: FakeVendor;
  const pools: DataSource[] = [];
  const children: SpawnedProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startFakeVendor();
  });
  // A worker process still running after its test (a failed or timed-out one) is killed, not leaked.
  afterEach(async () => {
    const running = children.splice(0).filter(({ child }) => child.exitCode === null && child.signalCode === null);
    for (const { child } of running) child.kill('SIGKILL');
    await Promise.all(running.map((spawned) => spawned.exited()));
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await fake.close();
    await db.drop();
  });

  const options = LIMIT_TEST_OPTIONS;

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

  it('three real worker processes (node, own pools and gates) waste no 429 either', async () => {
    const requester = await worker(true);
    const { activationIds } = await seedProject('p4');
    const runIds: string[] = [];
    for (const activationId of activationIds) runIds.push((await requester.service.requestSync(activationId)).id);
    fake.tooMany = 0;
    // The two runs of the first destination go to different processes: it is handed between them.
    const shares = [[runIds[0]], [runIds[3], runIds[1]], [runIds[2]]];
    const processes = shares.map((share) =>
      spawnTs('libs/activation-engine/src/__tests__/shared-limits-worker.ts', {
        DATABASE_URL: db.url,
        VENDOR_URL: fake.url,
        RUN_IDS: share.join(','),
      }),
    );
    children.push(...processes);
    // Start together, whatever each process' start-up took.
    await Promise.all(processes.map((spawned) => spawned.waitFor(/^ready$/m, 60_000)));
    for (const spawned of processes) spawned.child.kill('SIGUSR2');
    const reports = await Promise.all(
      processes.map(async (spawned) => {
        const [, json] = await spawned.waitFor(/^report (.+)$/m, 60_000);
        expect(await spawned.exited()).toEqual({ code: 0, signal: null });
        return JSON.parse(json) as WorkerReport;
      }),
    );

    expect(new Set([process.pid, ...reports.map((report) => report.pid)]).size).toBe(4);
    expect(Object.assign({}, ...reports.map((report) => report.statuses))).toEqual(
      Object.fromEntries(runIds.map((id) => [id, 'succeeded'])),
    );
    expect(fake.tooMany).toBe(0);
    for (const runId of runIds) {
      const run = await requester.service.getRun(runId);
      expect(run.counts).toMatchObject({ added: 20, requests: 4 });
      expect(run.counts.retried ?? 0).toBe(0);
    }
    expect(['p4-a', 'p4-b', 'p4-c'].map((account) => fake.accepted.get(account))).toEqual([8, 4, 4]);
  }, 150_000);

  it('control: per-process limiters (the old behaviour) draw 429s from the same vendor', async () => {
    const workers = await Promise.all([worker(false), worker(false), worker(false)]);
    const { activationIds } = await seedProject('p3');
    fake.tooMany = 0;
    await runAll(workers, activationIds);
    // Each worker keeps an account's rate, but three accounts of one project together overrun its quota.
    expect(fake.tooMany).toBeGreaterThan(0);
  }, 60_000);
});
