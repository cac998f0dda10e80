import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';

/**
 * A worker killed (SIGKILL) in the middle of a refresh leaves no half-written membership: the run's
 * changes, the membership swap and the entry/exit events are one transaction that never commits.
 * The queue then hands the job to another worker, which finishes the same run correctly.
 */
describe('a worker crashing mid-refresh', () => {
  let db: TestDatabase;
  let blocker: Client;
  const workers: SpawnedProcess[] = [];
  const profile: Record<string, string> = {};
  let segmentId: string;

  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const members = async () =>
    (await query<{ profile_id: string }>(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1`, [segmentId]))
      .map((row) => row.profile_id)
      .sort();
  const ids = (...names: string[]) => names.map((name) => profile[name]).sort();
  const workerBackends = async () =>
    (
      await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'audiencekit-%' AND application_name <> 'audiencekit-test'`,
      )
    )[0].n;

  beforeAll(async () => {
    // A daily cadence: exactly one fire time (today's midnight) is due, and no other comes due while
    // the test runs, so the run the crash interrupts is the only one.
    db = await createTestDatabase();
    for (const [name, country] of [
      ['ann', 'DE'],
      ['ben', 'DE'],
      ['cat', 'FR'],
    ]) {
      profile[name] = (await query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ country }]))[0].id;
    }
    [{ id: segmentId }] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, created_at, quality_thresholds)
       VALUES ('germans', 'Germans', 'crm', '0 0 * * *', 1, now() - interval '2 days', '{"minSize": 0, "maxChurn": 10}') RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segmentId,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    // The previous run's membership: ann and cat (cat has since moved to France, ben arrived).
    const [previous] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, size, adds, removes, queued_at, started_at, finished_at)
       VALUES ($1, 1, 'succeeded', 'manual', 2, 2, 0, now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour') RETURNING id`,
      [segmentId],
    );
    for (const name of ['ann', 'cat']) {
      await query(
        `INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at) VALUES ($1, $2, $3, 'added', 1, now() - interval '1 hour')`,
        [previous.id, segmentId, profile[name]],
      );
      await query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now() - interval '1 hour', $3)`,
        [segmentId, profile[name], previous.id],
      );
    }
    blocker = new Client({ connectionString: db.url });
    await blocker.connect();
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await blocker?.end();
    await db?.drop();
  });

  it('keeps the previous membership when killed mid-run, and the run is finished by the next worker', async () => {
    // Stall the refresh inside its transaction: it computes the members and writes its changes,
    // then waits for this lock before it can swap the membership.
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE segment_memberships IN EXCLUSIVE MODE');
    const first = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info', SCHEDULER_TICK_MS: '200' });
    workers.push(first);
    await first.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(
      async () =>
        (await query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length > 0,
      20_000,
    );
    const [run] = await query<{ id: string; status: string }>(
      `SELECT id, status FROM segment_runs WHERE segment_id = $1 AND trigger = 'schedule'`,
      [segmentId],
    );
    expect(run.status).toBe('running');

    first.child.kill('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    await blocker.query('COMMIT');
    // The dead worker's backends notice the closed sockets and roll back.
    await waitUntil(async () => (await workerBackends()) === 0, 20_000);

    expect(await members()).toEqual(ids('ann', 'cat'));
    expect((await query(`SELECT count(*)::int AS n FROM segment_membership_changes WHERE run_id = $1`, [run.id]))[0].n).toBe(0);
    expect((await query(`SELECT count(*)::int AS n FROM events WHERE properties->>'run_id' = $1`, [run.id]))[0].n).toBe(0);
    expect((await query(`SELECT status FROM segment_runs WHERE id = $1`, [run.id]))[0].status).toBe('running');
    const [job] = await query<{ id: string; state: string }>(
      `SELECT id, state FROM pgboss.job WHERE name = 'segment-refresh' AND data->>'runId' = $1`,
      [run.id],
    );
    expect(job.state).toBe('active');

    // pg-boss expires an active job whose worker vanished once its expiry (30 minutes) has passed:
    // move its start back by that much and run pg-boss's own maintenance, as a live worker would.
    await query(`UPDATE pgboss.job SET started_on = started_on - expire_in - interval '1 minute' WHERE id = $1`, [job.id]);
    const boss = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.maintain();
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
    expect((await query(`SELECT state FROM pgboss.job WHERE id = $1`, [job.id]))[0].state).toBe('retry');

    const second = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info', SCHEDULER_TICK_MS: '200' });
    workers.push(second);
    await second.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => (await query(`SELECT status FROM segment_runs WHERE id = $1`, [run.id]))[0].status === 'succeeded', 40_000);

    expect(await members()).toEqual(ids('ann', 'ben'));
    expect((await query(`SELECT size, adds, removes FROM segment_runs WHERE id = $1`, [run.id]))[0]).toEqual({
      size: 2,
      adds: 1,
      removes: 1,
    });
    const events = await query<{ name: string; profile_id: string }>(
      `SELECT name, profile_id FROM events WHERE properties->>'run_id' = $1 ORDER BY name`,
      [run.id],
    );
    expect(events).toEqual([
      { name: 'Segment Entered', profile_id: profile.ben },
      { name: 'Segment Exited', profile_id: profile.cat },
    ]);

    // The change log of the finished run holds the whole diff, once: nothing left over from the killed attempt.
    const changes = await query<{ change: string; profile_id: string }>(
      `SELECT change, profile_id FROM segment_membership_changes WHERE run_id = $1 ORDER BY change`,
      [run.id],
    );
    expect(changes).toEqual([
      { change: 'added', profile_id: profile.ben },
      { change: 'removed', profile_id: profile.cat },
    ]);
    await waitUntil(async () => (await query(`SELECT state FROM pgboss.job WHERE id = $1`, [job.id]))[0].state === 'completed', 10_000);

    // Re-delivered, not re-requested: the crash produced no second run.
    expect(
      (await query(`SELECT count(*)::int AS n FROM segment_runs WHERE segment_id = $1 AND trigger = 'schedule'`, [segmentId]))[0].n,
    ).toBe(1);

    second.child.kill('SIGTERM');
    expect((await second.exited()).code).toBe(0);
  }, 90_000);
});
