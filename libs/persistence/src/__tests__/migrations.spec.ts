import { createTestDatabase, TestDatabase } from '../testing/create-test-database';
import { ALL_MIGRATIONS } from '../migrations';

const EXPECTED_TABLES = [
  'activation_exclusions',
  'activation_exposures',
  'activation_members',
  'activation_pending_changes',
  'activations',
  'api_keys',
  'audit_log',
  'catalogue_events',
  'catalogue_keys',
  'catalogue_state',
  'computed_trait_due',
  'computed_trait_values',
  'computed_trait_versions',
  'computed_traits',
  'consent_categories',
  'consent_withdrawals',
  'destination_consent_categories',
  'destinations',
  'events',
  'frequency_caps',
  'global_holdout',
  'identities',
  'journey_audiences',
  'journey_entries',
  'journey_pending_entries',
  'journey_step_log',
  'journey_versions',
  'journeys',
  'model_fit_jobs',
  'notifications',
  'priority_list_entries',
  'priority_lists',
  'profiles',
  'quiz_versions',
  'quizzes',
  'rate_limits',
  'realtime_due',
  'realtime_segments',
  'realtime_touches',
  'segment_list_entries',
  'segment_membership_changes',
  'segment_memberships',
  'segment_runs',
  'segment_versions',
  'segments',
  'send_ledger',
  'send_ledger_profiles',
  'sql_trait_versions',
  'sql_traits',
  'suppressions',
  'sync_batches',
  'sync_rejections',
  'sync_run_profiles',
  'sync_runs',
  'text_signal_configs',
  'vendor_pending_requests',
];

async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows: { table_name: string }[] = await db.dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations' ORDER BY 1`,
  );
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply to an empty database and create every core table', async () => {
    expect(await tableNames(db)).toEqual([]);
    const applied = await db.dataSource.runMigrations();
    expect(applied).toHaveLength(ALL_MIGRATIONS.length);
    expect(await tableNames(db)).toEqual(EXPECTED_TABLES);
  });

  it('leave nothing for the entities to change (no pending schema drift)', async () => {
    const sql = await db.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('make segment versions immutable', async () => {
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner) VALUES ('vip', 'VIP', 'crm@example.com') RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, '{}')`, [segment.id]);
    await expect(db.dataSource.query(`UPDATE segment_versions SET definition = '{"x":1}'`)).rejects.toThrow(/immutable/);
  });

  it('store a retried message once (message_id is unique per source, a missing source counting as one)', async () => {
    const insert = `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('m-1', gen_random_uuid(), 'track', 'x', now())`;
    await db.dataSource.query(insert);
    await expect(db.dataSource.query(insert)).rejects.toThrow(/uq_events_source_message_id/);
    const fromSource = `INSERT INTO events (message_id, profile_id, type, name, timestamp, source_id) VALUES ('m-2', gen_random_uuid(), 'track', 'x', now(), '00000000-0000-4000-8000-000000000001')`;
    await db.dataSource.query(fromSource);
    await expect(db.dataSource.query(fromSource)).rejects.toThrow(/uq_events_source_message_id/);
  });

  it('make existing API keys server sources and new ones client sources', async () => {
    const [key] = await db.dataSource.query(
      `INSERT INTO api_keys (name, role, prefix, key_hash) VALUES ('k', 'write', 'wk_', 'h-new') RETURNING trust`,
    );
    expect(key.trust).toBe('client');
  });

  it('store the holdout hash version beside each salt: existing rows get 1, new rows default to 1', async () => {
    // Undo back to before the hash-version migration (and any later one), store salts as before it, migrate again.
    const executed: { name: string; timestamp: string }[] = await db.dataSource.query(
      `SELECT name, timestamp FROM typeorm_migrations ORDER BY timestamp DESC`,
    );
    const toUndo = executed.findIndex((row) => row.name === 'HoldoutHashVersion1796300000000') + 1;
    expect(toUndo).toBeGreaterThan(0);
    for (let i = 0; i < toUndo; i++) await db.dataSource.undoLastMigration();
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner) VALUES ('hv', 'HV', 'crm@example.com') RETURNING id`,
    );
    const [destination] = await db.dataSource.query(`INSERT INTO destinations (name, connector) VALUES ('d', 'webhook') RETURNING id`);
    const [before] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_salt) VALUES ('old', $1, $2, 'mirror', 'salt-old') RETURNING id`,
      [segment.id, destination.id],
    );
    await db.dataSource.query(
      `INSERT INTO global_holdout (id, share, salt) VALUES (1, 0.05, 'global-salt') ON CONFLICT (id) DO UPDATE SET salt = EXCLUDED.salt`,
    );
    await db.dataSource.runMigrations();

    const [existing] = await db.dataSource.query(`SELECT holdout_hash_version FROM activations WHERE id = $1`, [before.id]);
    expect(existing.holdout_hash_version).toBe(1);
    const [global] = await db.dataSource.query(`SELECT hash_version FROM global_holdout WHERE id = 1`);
    expect(global.hash_version).toBe(1);
    const [created] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_salt) VALUES ('new', $1, $2, 'mirror', 'salt-new') RETURNING holdout_hash_version`,
      [segment.id, destination.id],
    );
    expect(created.holdout_hash_version).toBe(1);
    await expect(db.dataSource.query(`UPDATE activations SET holdout_hash_version = NULL`)).rejects.toThrow(/null value/);
  });

  it('revert cleanly, down to an empty database', async () => {
    for (let i = 0; i < ALL_MIGRATIONS.length; i++) await db.dataSource.undoLastMigration();
    expect(await tableNames(db)).toEqual([]);
    const functions = await db.dataSource.query(`SELECT proname FROM pg_proc WHERE proname = 'refuse_segment_version_update'`);
    expect(functions).toEqual([]);
  });
});
