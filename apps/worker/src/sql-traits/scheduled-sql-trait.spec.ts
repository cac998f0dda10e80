import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';

/** A real worker process runs a due SQL trait on its cadence; its values land in computed_trait_values. */
describe('scheduled SQL trait in the worker', () => {
  let db: TestDatabase;
  let worker: SpawnedProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await db.drop();
  });

  it('runs a due SQL trait once for its fire time and records the run', async () => {
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{"plan":"pro"}') RETURNING id`);
    const [trait] = await db.dataSource.query(
      `INSERT INTO sql_traits (key, owner, cadence, created_at) VALUES ('plans', 'crm', '* * * * *', now() - interval '10 minutes') RETURNING id`,
    );
    await db.dataSource.query(
      `INSERT INTO sql_trait_versions (trait_id, version, sql, key_kind, value_columns) VALUES ($1, 1, $2, 'profile_id', '{plan_tier}')`,
      [trait.id, `SELECT id AS profile_id, traits->>'plan' AS plan_tier FROM profiles`],
    );
    worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url, LOG_LEVEL: 'info', SCHEDULER_TICK_MS: '200' });
    await worker.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => {
      const [row] = await db.dataSource.query(`SELECT last_run FROM sql_traits WHERE id = $1`, [trait.id]);
      return row.last_run !== null;
    }, 20_000);
    const [card] = await db.dataSource.query(`SELECT last_run, last_scheduled_for FROM sql_traits WHERE id = $1`, [trait.id]);
    expect(card.last_run).toMatchObject({ status: 'succeeded', trigger: 'schedule', rowCount: 1 });
    expect(card.last_scheduled_for).not.toBeNull();
    expect(await db.dataSource.query(`SELECT profile_id, key, value, source_kind, source_id FROM computed_trait_values`)).toEqual([
      { profile_id: profile.id, key: 'plan_tier', value: 'pro', source_kind: 'sql', source_id: trait.id },
    ]);
  });
});
