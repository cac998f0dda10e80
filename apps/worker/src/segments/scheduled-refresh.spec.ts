import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';

/**
 * Real worker processes, a real queue: two workers tick the scheduler together every 200 ms, yet
 * each due cron fire time becomes exactly one run, executed once, by one of them.
 */
describe('scheduled refresh across two worker processes', () => {
  let db: TestDatabase;
  const workers: SpawnedProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await db.drop();
  });

  it('refreshes a due segment once per fire time, whichever worker ticks first', async () => {
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, created_at, quality_thresholds)
       VALUES ('cart', 'Cart abandoner', 'crm', '* * * * *', 1, now() - interval '10 minutes', '{"minSize": 0, "maxChurn": 1}') RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      EXAMPLE_SEGMENTS.cartAbandoner.definition,
    ]);
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('m1', $1, 'track', 'Product Added', now() - interval '1 day')`,
      [profile.id],
    );

    for (let index = 0; index < 2; index += 1) {
      workers.push(spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info', SCHEDULER_TICK_MS: '200' }));
    }
    await Promise.all(workers.map((worker) => worker.waitFor(/audiencekit-worker up/, 30_000)));
    await waitUntil(async () => {
      const [{ done }] = await db.dataSource.query(`SELECT count(*)::int AS done FROM segment_runs WHERE status = 'succeeded'`);
      return done >= 1;
    }, 20_000);
    // Let both workers tick a few more times over the same fire time.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const runs: { scheduled_for: Date; status: string; adds: number }[] = await db.dataSource.query(
      `SELECT scheduled_for, status, adds FROM segment_runs WHERE segment_id = $1 ORDER BY scheduled_for`,
      [segment.id],
    );
    const fireTimes = runs.map((run) => run.scheduled_for.toISOString());
    expect(new Set(fireTimes).size).toBe(fireTimes.length);
    expect(runs[0]).toMatchObject({ status: 'succeeded', adds: 1 });
    const [{ members }] = await db.dataSource.query(`SELECT count(*)::int AS members FROM segment_memberships WHERE segment_id = $1`, [
      segment.id,
    ]);
    expect(members).toBe(1);
    // Each run's job completed exactly once in the queue.
    const jobs: { state: string; count: number }[] = await db.dataSource.query(
      `SELECT state, count(*)::int AS count FROM pgboss.job WHERE name = 'segment-refresh' GROUP BY state`,
    );
    const completed = jobs.find((job) => job.state === 'completed')?.count ?? 0;
    expect(completed).toBe(runs.filter((run) => run.status === 'succeeded').length);

    await Promise.all(
      workers.map(async (worker) => {
        worker.child.kill('SIGTERM');
        expect((await worker.exited()).code).toBe(0);
      }),
    );
  }, 60_000);
});
