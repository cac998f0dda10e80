import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SQL_TRAITS_READER_ROLE } from '@audiencekit/persistence';
import { availability, executeReadOnly, ExecutionLimits } from '../sql-trait-executor.repository';
import { SqlTraitsException, SqlTraitsExceptionCode } from '../sql-traits.exception';

/**
 * The executor against a real migrated database: an admin's SELECT reads the four views and
 * nothing else, cannot write, cannot become anyone else, stops at its timeout and its row cap, and
 * every refusal names the problem.
 */
describe('executeReadOnly (the SQL trait sandbox)', () => {
  let database: TestDatabase;
  const limits: ExecutionLimits = { timeoutMs: 2_000, rowCap: 100 };
  let aliceId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const [alice] = await database.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at, last_seen_at) VALUES ('{"plan":"pro"}', now(), now()) RETURNING id`,
    );
    aliceId = alice.id;
    const [merged] = await database.dataSource.query(`INSERT INTO profiles (traits, merged_into) VALUES ('{}', $1) RETURNING id`, [
      aliceId,
    ]);
    await database.dataSource.query(
      `INSERT INTO identities (type, value, profile_id) VALUES ('email', 'alice@example.com', $1), ('user_id', 'u-1', $1)`,
      [aliceId],
    );
    await database.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ('m1', $1, 'track', 'Order Completed', now(), '{"revenue": 12.5}'), ('m2', $1, 'track', 'Order Completed', now(), '{"revenue": 7.5}')`,
      [aliceId],
    );
    await database.dataSource.query(`INSERT INTO api_keys (name, role, prefix, key_hash) VALUES ('ops', 'admin', 'ak_ops', 'secret-hash')`);
    expect(merged.id).toBeDefined();
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function refusal(sql: string, custom: ExecutionLimits = limits): Promise<SqlTraitsException> {
    const error = await executeReadOnly(database.dataSource, sql, custom).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof SqlTraitsException)) throw new Error(`expected a SqlTraitsException for ${sql}, got ${String(error)}`);
    return error;
  }

  it('is available on a database migrated by a user that can create roles', async () => {
    await expect(availability(database.dataSource)).resolves.toEqual({});
  });

  it('reads the documented views, with column types, as the reader role', async () => {
    const result = await executeReadOnly(
      database.dataSource,
      `SELECT p.id AS profile_id, sum((e.properties->>'revenue')::numeric) AS ltv, current_user AS who, count(*) AS orders
         FROM profiles p JOIN events e ON e.profile_id = p.id GROUP BY p.id`,
      limits,
    );
    expect(result.columns).toEqual([
      { name: 'profile_id', type: 'uuid' },
      { name: 'ltv', type: 'numeric' },
      { name: 'who', type: 'name' },
      { name: 'orders', type: 'bigint' },
    ]);
    expect(result.rows).toEqual([{ profile_id: aliceId, ltv: 20.0, who: SQL_TRAITS_READER_ROLE, orders: 2 }]);
  });

  it('leaves merged profiles out of the profiles view and shows identities and memberships', async () => {
    const profiles = await executeReadOnly(database.dataSource, `SELECT id FROM profiles`, limits);
    expect(profiles.rows).toEqual([{ id: aliceId }]);
    const identities = await executeReadOnly(database.dataSource, `SELECT kind, value FROM identities ORDER BY kind`, limits);
    expect(identities.rows).toEqual([
      { kind: 'email', value: 'alice@example.com' },
      { kind: 'user_id', value: 'u-1' },
    ]);
    const memberships = await executeReadOnly(database.dataSource, `SELECT segment_key, profile_id, since FROM memberships`, limits);
    expect(memberships.columns.map((column) => column.name)).toEqual(['segment_key', 'profile_id', 'since']);
  });

  describe('cannot write', () => {
    it.each([
      ['INSERT', `INSERT INTO profiles (traits) VALUES ('{}')`, 'sql_not_a_select'],
      ['UPDATE', `UPDATE profiles SET traits = '{}'`, 'sql_not_a_select'],
      ['DELETE', `DELETE FROM events`, 'sql_not_a_select'],
      ['CREATE', `CREATE TABLE owned (x int)`, 'sql_not_a_select'],
      ['COPY', `COPY events TO STDOUT`, 'sql_not_a_select'],
      ['TRUNCATE', `TRUNCATE events`, 'sql_not_a_select'],
      ['a data-modifying WITH', `WITH gone AS (DELETE FROM events RETURNING id) SELECT * FROM gone`, 'sql_not_a_select'],
      ['a chained statement', `SELECT 1 AS a; DELETE FROM events`, 'sql_not_a_select'],
      ['a wrapper escape', `SELECT 1 AS a) q; DELETE FROM public.events; SELECT * FROM (SELECT 1`, 'sql_not_a_select'],
      ['SELECT … FOR UPDATE', `SELECT id FROM events FOR UPDATE`, undefined],
      ['nextval', `SELECT nextval('public.events_id_seq')`, undefined],
      ['set_config of the role', `SELECT pg_catalog.set_config('role', 'postgres', true)`, 'sql_permission_denied'],
      ['set_config of read-write', `SELECT set_config('transaction_read_only', 'off', true)`, 'sql_permission_denied'],
      ['a write through query_to_xml', `SELECT query_to_xml('DELETE FROM public.events RETURNING 1', true, false, '')`, undefined],
    ])('refuses %s', async (_what, sql, code) => {
      const error = await refusal(sql);
      if (code) expect(error.code).toBe(code);
      else expect(['sql_not_a_select', 'sql_permission_denied', 'sql_query_failed']).toContain(error.code);
      const [{ count }] = await database.dataSource.query(`SELECT count(*)::int AS count FROM events`);
      expect(count).toBe(2);
    });
  });

  describe('cannot read what is not a documented view', () => {
    it.each([
      'SELECT * FROM public.api_keys',
      'SELECT * FROM public.destinations',
      'SELECT * FROM public.audit_log',
      'SELECT * FROM public.notifications',
      'SELECT * FROM public.sync_runs',
      'SELECT * FROM public.computed_trait_values',
      'SELECT * FROM public.profiles',
      'SELECT * FROM public.typeorm_migrations',
      'SELECT * FROM pg_catalog.pg_authid',
      `SELECT query_to_xml('SELECT * FROM public.api_keys', true, false, '')`,
      `SELECT pg_read_file('/etc/passwd')`,
    ])('%s → permission denied', async (sql) => {
      const error = await refusal(sql);
      expect(error.code).toBe('sql_permission_denied');
      expect(error.message).toMatch(/^only the documented views are readable/);
    });

    it('names an unqualified table that is not a view as an unknown identifier (the search path is the views)', async () => {
      const error = await refusal('SELECT * FROM api_keys');
      expect(error.code).toBe('sql_unknown_identifier');
      expect(error.message).toMatch(/^unknown identifier api_keys/);
    });
  });

  it('keeps nothing a function wrote inside the transaction (it always rolls back): lo_create', async () => {
    await executeReadOnly(database.dataSource, 'SELECT lo_create(0) AS oid', limits).catch(() => undefined);
    const [{ count }] = await database.dataSource.query(`SELECT count(*)::int AS count FROM pg_largeobject_metadata`);
    expect(count).toBe(0);
  });

  it('can execute no SECURITY DEFINER function of ours (one would run with the rights of its owner)', async () => {
    const functions: { name: string }[] = await database.dataSource.query(
      `SELECT n.nspname || '.' || p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prosecdef AND has_function_privilege($1, p.oid, 'EXECUTE')`,
      [SQL_TRAITS_READER_ROLE],
    );
    expect(functions).toEqual([]);
  });

  describe('cannot escape the views', () => {
    it.each(['RESET ROLE', 'SET ROLE postgres', `SET search_path = public`, 'SELECT 1 AS a; RESET ROLE'])(
      'refuses %s (one SELECT only)',
      async (sql) => {
        expect((await refusal(sql)).code).toBe('sql_not_a_select');
      },
    );

    it('cannot widen its search path or its timeout with set_config', async () => {
      expect((await refusal(`SELECT set_config('search_path', 'public', true), count(*) FROM api_keys`)).code).toMatch(
        /sql_permission_denied|sql_unknown_identifier/,
      );
      expect((await refusal(`SELECT set_config('statement_timeout', '0', true)`)).code).toBe('sql_permission_denied');
    });

    it('leaves no advisory lock and no role behind on the pooled connection', async () => {
      await executeReadOnly(database.dataSource, 'SELECT pg_advisory_lock(4242) AS locked', limits);
      // This lock only: pg_locks is server-wide, and in CI other suites' databases hold advisory locks of their own (job queue).
      const [{ held }] = await database.dataSource.query(
        `SELECT count(*)::int AS held FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.classid = 0 AND l.objid = 4242`,
      );
      expect(held).toBe(0);
      const roles: { who: string }[] = await Promise.all(
        Array.from({ length: 5 }, async () => (await database.dataSource.query(`SELECT current_user AS who`))[0]),
      );
      expect(roles.every((row) => row.who !== SQL_TRAITS_READER_ROLE)).toBe(true);
    });
  });

  it('stops a query at its timeout with a 400 naming the limit, and the pool keeps working', async () => {
    const error = await refusal('SELECT pg_sleep(10) AS slept', { timeoutMs: 300, rowCap: 100 });
    expect(error.code).toBe('sql_timeout');
    expect(error.message).toBe('the query ran longer than 300 ms and was stopped');
    await expect(database.dataSource.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('refuses more rows than the cap, and accepts exactly the cap', async () => {
    const error = await refusal('SELECT g AS n FROM generate_series(1, 101) g');
    expect(error.code).toBe('sql_too_many_rows');
    expect(error.message).toMatch(/more than the row cap of 100 rows/);
    await expect(executeReadOnly(database.dataSource, 'SELECT g AS n FROM generate_series(1, 100) g', limits)).resolves.toMatchObject({
      rows: expect.arrayContaining([{ n: 100 }]),
    });
  });

  describe('names every mistake', () => {
    const cases: [string, string, SqlTraitsExceptionCode, RegExp, Record<string, unknown> | null][] = [
      [
        'a syntax error, with its position in the admin text',
        'SELECT id AS profile_id\n  FROM profiles\n WHERE',
        'sql_syntax_error',
        /^syntax error at the end of the query \(line 3, column 7, character 47\): the query is incomplete/,
        { position: 47, line: 3, column: 7 },
      ],
      [
        'a misspelt keyword',
        'SELEC id FROM profiles',
        'sql_syntax_error',
        /^syntax error at line 1, column 1 \(character 1\): syntax error at or near "SELEC"/,
        { position: 1 },
      ],
      [
        'a stray comma',
        'SELECT id, FROM profiles',
        'sql_syntax_error',
        /^syntax error at line 1, column 12 \(character 12\)/,
        { position: 12, line: 1, column: 12 },
      ],
      [
        'an unknown column',
        'SELECT ltv FROM profiles',
        'sql_unknown_identifier',
        /^unknown identifier ltv \(column "ltv" does not exist\)/,
        { identifier: 'ltv' },
      ],
      ['an unknown table', 'SELECT * FROM orders', 'sql_unknown_identifier', /^unknown identifier orders/, { identifier: 'orders' }],
      ['an unknown function', 'SELECT no_such_fn(1)', 'sql_unknown_identifier', /^unknown identifier no_such_fn\(integer\)/, null],
      ['a failing expression', 'SELECT 1 / 0 AS x', 'sql_query_failed', /^the query failed: division by zero/, null],
    ];
    it.each(cases)('%s', async (_what, sql, code, message, extra) => {
      const error = await refusal(sql);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      if (extra) expect(error.extra).toMatchObject(extra);
    });
  });
});
