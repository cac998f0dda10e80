import path from 'node:path';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil, WORKSPACE_ROOT } from '@audiencekit/testing';

const MEMBERS = 120; // 3 batches of the test connector's 50
const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/metrics-list-connector.ts');

/**
 * SIGTERM on a real worker in the middle of a sync (its first vendor call held open by the fake
 * vendor): with enough grace the job runs to completion before the process exits 0; with too
 * little, the job is failed back to the queue and another worker resumes it — every member ends
 * on the list, nothing is half-written, and only the batch that was in flight is sent again.
 */
describe('worker graceful shutdown', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let release: () => void = () => undefined;
  let hold: Promise<void> = Promise.resolve();
  const workers: SpawnedProcess[] = [];
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeEach(async () => {
    db = await createTestDatabase();
    hold = new Promise<void>((resolve) => (release = resolve));
    vendor = await startFakeVendor({
      routes: {
        'POST /lists/members': async () => {
          if (vendor.requests.length === 1) await hold;
          return { status: 200, body: { ok: true } };
        },
      },
    });
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('drain', 'Drain', 'test', 'manual', 1) RETURNING id`,
    );
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
      [segment.id],
    );
    await query(
      `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
            i AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'drain' || n || '@example.com', id FROM p)
       INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $2, id, now(), $3 FROM p`,
      [MEMBERS, segment.id, segmentRun.id],
    );
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('drain vendor', 'metrics-list', '{}') RETURNING id`,
    );
    await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('drain', $1, $2, 'mirror', 0, 'drain-salt', 'after_refresh')`,
      [segment.id, destination.id],
    );
  });

  afterEach(async () => {
    release();
    for (const worker of workers.splice(0))
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor.stop();
    await db.drop();
  });

  const spawnWorker = (graceMs: number) => {
    const worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
      SCHEDULER_TICK_MS: '200',
      SHUTDOWN_GRACE_MS: String(graceMs),
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `metrics-list=${vendor.url}`,
    });
    workers.push(worker);
    return worker;
  };
  const deliveredEmails = () =>
    vendor.requests.flatMap((request) => (request.body as { members: { email: string }[] }).members.map((member) => member.email));
  const jobStates = async () =>
    (await query<{ state: string }>(`SELECT state FROM pgboss.job WHERE name LIKE 'sync-%'`)).map((row) => row.state);

  it('finishes the running sync before exiting 0 when the grace allows it', async () => {
    const worker = spawnWorker(15_000);
    await worker.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => vendor.requests.length >= 1, 20_000);
    worker.child.kill('SIGTERM');
    await worker.waitFor(/SIGTERM received/, 5_000);
    release(); // the vendor answers only after the signal: the job is mid-run when the worker is told to stop

    const { code } = await worker.exited();
    expect(code).toBe(0);
    const [run] = await query(`SELECT status, counts FROM sync_runs`);
    expect(run).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: MEMBERS }) });
    expect(run.counts.failed ?? 0).toBe(0);
    expect(await jobStates()).toEqual(['completed']);
    expect(new Set(deliveredEmails()).size).toBe(MEMBERS);
    expect(deliveredEmails()).toHaveLength(MEMBERS);
  }, 60_000);

  it('hands the job back to the queue when the grace runs out, and another worker resumes it', async () => {
    const first = spawnWorker(2_500); // the queue gives the job 1 s, then fails it back ("shut down while active")
    await first.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => vendor.requests.length >= 1, 20_000);
    first.child.kill('SIGTERM');
    const { code } = await first.exited();
    expect(code).toBe(0);
    // Nothing half-written: the run is unfinished, its one call in flight recorded as such, no member marked delivered.
    const [interrupted] = await query(`SELECT status FROM sync_runs`);
    expect(interrupted.status).toBe('running');
    expect(await jobStates()).toEqual(['retry']);
    expect(await query(`SELECT status FROM sync_batches`)).toEqual([{ status: 'in_flight' }]);
    const [{ present }] = await query(`SELECT count(*)::int AS present FROM activation_members WHERE state = 'present'`);
    expect(present).toBe(0);

    release();
    const second = spawnWorker(10_000);
    await second.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => (await query(`SELECT 1 FROM sync_runs WHERE status = 'succeeded'`)).length === 1, 30_000);
    const [run] = await query(`SELECT counts FROM sync_runs`);
    expect(run.counts).toMatchObject({ added: MEMBERS, replayedBatches: 1 });
    expect(run.counts.failed ?? 0).toBe(0);
    const [{ members }] = await query(`SELECT count(*)::int AS members FROM activation_members WHERE state = 'present'`);
    expect(members).toBe(MEMBERS);
    expect(new Set(deliveredEmails()).size).toBe(MEMBERS);
    // The duplicate window: only the batch in flight at the signal, replayed once.
    expect(deliveredEmails().length - MEMBERS).toBeLessThanOrEqual(50);
    // pg-boss completes the job just after the run row says succeeded.
    await waitUntil(async () => (await jobStates()).join() === 'completed', 10_000);
  }, 90_000);
});
