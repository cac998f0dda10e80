import { createTestDatabase, TestDatabase } from '../testing/create-test-database';
import { ForgetErasedIdentifiers1796200000000 } from '../migrations/1796200000000-forget-erased-identifiers';

/**
 * Issue #16: data written before the fix — identifiers kept on removed members (a coalesce in the
 * member-state upsert) and unsalted sha256 digests of erased identifiers in privacy audit records —
 * is cleaned by the migration; everything else is left as it was.
 */
describe('migration ForgetErasedIdentifiers1796200000000', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('clears identifiers of removed members and drops valueSha256 from privacy audit records', async () => {
    const query = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('m', 'M', 'crm', 'manual', 1) RETURNING id`,
    );
    const [destination] = await query(`INSERT INTO destinations (name, connector, settings) VALUES ('d', 'c', '{}') RETURNING id`);
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt) VALUES ('a', $1, $2, 'mirror', 0, 's') RETURNING id`,
      [segment.id, destination.id],
    );
    const [removed] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    const [present] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await query(
      `INSERT INTO activation_members (activation_id, profile_id, state, identifiers) VALUES ($1, $2, 'removed', '{"email": "gone@example.com"}'), ($1, $3, 'present', '{"email": "kept@example.com"}')`,
      [activation.id, removed.id, present.id],
    );
    await query(
      `INSERT INTO audit_log (action, object_type, object_id, details) VALUES
        ('privacy.deletion', 'privacy_deletion', 'd1', '{"id": "d1", "identifierType": "email", "valueSha256": "${'a'.repeat(64)}", "profileIds": []}'),
        ('destination.create', 'destination', 'x', '{"valueSha256": "unrelated"}')`,
    );

    const runner = db.dataSource.createQueryRunner();
    try {
      await new ForgetErasedIdentifiers1796200000000().up(runner);
    } finally {
      await runner.release();
    }

    expect(await query(`SELECT state, identifiers FROM activation_members ORDER BY state`)).toEqual([
      { state: 'present', identifiers: { email: 'kept@example.com' } },
      { state: 'removed', identifiers: null },
    ]);
    expect(await query(`SELECT action, details FROM audit_log ORDER BY id`)).toEqual([
      { action: 'privacy.deletion', details: { id: 'd1', identifierType: 'email', valueHmac: null, profileIds: [] } },
      { action: 'destination.create', details: { valueSha256: 'unrelated' } },
    ]);
  });
});
