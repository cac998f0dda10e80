import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

/**
 * SQL traits through the API on a real Postgres: admin only, preview writes nothing, a run lands
 * values in computed_trait_values, every mistake is a 400 naming it, every write is audited.
 */
describe('SQL traits API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  let marketer: string;
  let alice: string;
  // The answers' shapes are what the tests assert.
  const call = async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url, { AK_SQL_TRAITS_TIMEOUT_MS: '500' });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    const [row] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{"plan":"pro"}') RETURNING id`);
    alice = row.id;
    await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('user_id', 'u-1', $1)`, [alice]);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const SQL = `SELECT i.value AS user_id, p.traits->>'plan' AS plan_tier FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.kind = 'user_id' UNION ALL SELECT 'nobody', 'x'`;

  it('is admin only', async () => {
    expect((await call('POST', '/sql-traits/preview', marketer, { sql: SQL })).status).toBe(403);
    expect((await call('GET', '/sql-traits', marketer)).status).toBe(403);
  });

  it('previews without writing, creates, runs into computed_trait_values, updates, deletes; each write audited', async () => {
    const preview = await call('POST', '/sql-traits/preview', admin, { sql: SQL });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      keyKind: 'user_id',
      valueColumns: ['plan_tier'],
      rowCount: 2,
      columns: [
        { name: 'user_id', type: 'text' },
        { name: 'plan_tier', type: 'text' },
      ],
      keys: { resolved: 1, unknown: 1, unknownExamples: ['nobody'] },
    });
    const created = await call('POST', '/sql-traits', admin, { key: 'plans', owner: 'crm@example.com', sql: SQL, cadence: '0 3 * * *' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'plans', version: 1, keyKind: 'user_id', valueColumns: ['plan_tier'] });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM computed_trait_values`)).toEqual([{ n: 0 }]);

    const run = await call('POST', '/sql-traits/plans/runs', admin);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      rowCount: 2,
      keys: { resolved: 1, unknown: 1 },
      values: { upserted: 1, deleted: 0 },
    });
    expect(await db.dataSource.query(`SELECT profile_id, key, value, source_kind FROM computed_trait_values`)).toEqual([
      { profile_id: alice, key: 'plan_tier', value: 'pro', source_kind: 'sql' },
    ]);

    const updated = await call('PUT', '/sql-traits/plans', admin, { sql: SQL.replace("'x'", "'y'"), description: 'plan tiers' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, description: 'plan tiers' });
    expect((await call('GET', '/sql-traits/plans', admin)).body).toMatchObject({ version: 2, lastRun: { status: 'succeeded' } });
    expect((await call('GET', '/sql-traits', admin)).body).toHaveLength(1);

    const removed = await call('DELETE', '/sql-traits/plans', admin);
    expect(removed).toMatchObject({ status: 200, body: { key: 'plans', valuesDeleted: 1 } });
    expect((await call('GET', '/sql-traits/plans', admin)).status).toBe(404);

    const audited: { action: string }[] = await db.dataSource.query(
      `SELECT action FROM audit_log WHERE object_type = 'sql-traits' ORDER BY id`,
    );
    expect(audited.map((row) => row.action)).toEqual([
      'POST /sql-traits/preview',
      'POST /sql-traits',
      'POST /sql-traits/:key/runs',
      'PUT /sql-traits/:key',
      'DELETE /sql-traits/:key',
    ]);
  });

  it.each([
    [
      'a syntax error with its position',
      { sql: 'SELECT id AS profile_id,\n  FROM profiles' },
      'sql_syntax_error',
      /^syntax error at line 2, column 3/,
      { position: 28, line: 2, column: 3 },
    ],
    [
      'an unknown identifier',
      { sql: 'SELECT id AS profile_id, ltv FROM profiles' },
      'sql_unknown_identifier',
      /^unknown identifier ltv/,
      { identifier: 'ltv' },
    ],
    [
      'a secret table',
      { sql: 'SELECT id AS profile_id, key_hash FROM public.api_keys' },
      'sql_permission_denied',
      /^only the documented views are readable/,
      {},
    ],
    [
      'the job queue',
      { sql: 'SELECT id AS profile_id, data AS d FROM pgboss.job' },
      'sql_permission_denied',
      /^only the documented views are readable/,
      {},
    ],
    [
      'secrets of destinations',
      { sql: 'SELECT id AS profile_id, secrets_ciphertext AS s FROM public.destinations' },
      'sql_permission_denied',
      /^only the documented views are readable/,
      {},
    ],
    ['a write', { sql: 'DELETE FROM events' }, 'sql_not_a_select', /^only one SELECT is accepted, not DELETE/, {}],
    ['chained statements', { sql: 'SELECT 1 AS a; RESET ROLE' }, 'sql_not_a_select', /^only one SELECT is accepted/, {}],
    ['a missing key column', { sql: 'SELECT id, 1 AS n FROM profiles' }, 'sql_missing_key_column', /^missing key column/, {}],
    [
      'duplicate keys',
      { sql: `SELECT 'u-1' AS user_id, 1 AS n UNION ALL SELECT 'u-1', 2` },
      'sql_duplicate_keys',
      /"u-1" is on more than one row/,
      { example: 'u-1' },
    ],
    [
      'a timeout',
      { sql: 'SELECT id AS profile_id, pg_sleep(2)::text AS z FROM profiles' },
      'sql_timeout',
      /^the query ran longer than 500 ms/,
      { timeoutMs: 500 },
    ],
    ['an empty body', {}, 'validation_failed', /sql/, {}],
  ])('answers 400 for %s', async (_what, body, code, message, extra) => {
    const response = await call('POST', '/sql-traits/preview', admin, body);
    expect(response.status).toBe(400);
    if (code !== 'validation_failed') expect(response.body).toMatchObject({ code, ...extra });
    expect(code === 'validation_failed' ? JSON.stringify(response.body) : response.body.message).toMatch(message);
  });
});
