import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SQL_TRAITS_READER_ROLE } from '@audiencekit/persistence';
import type { AppConfig } from '@audiencekit/server-core';
import { compileSegmentSql } from '@audiencekit/segments-domain';
import { lockKeyNamespace } from '@audiencekit/segments-service';
import { SqlTraitsService } from '../sql-traits.service';
import { SqlTraitsException, SqlTraitsExceptionCode } from '../sql-traits.exception';
import { sqlTraitCreateSchema } from '../sql-trait-input.schema';

/** The service against a real migrated database: definitions, runs into computed_trait_values, every refusal named. */
describe('SqlTraitsService', () => {
  let database: TestDatabase;
  let service: SqlTraitsService;
  const ids: Record<string, string> = {};

  const LTV_SQL = `SELECT i.value AS email, sum((e.properties->>'revenue')::numeric) AS ltv, count(*) AS orders
                     FROM identities i JOIN events e ON e.profile_id = i.profile_id AND e.name = 'Order Completed'
                    WHERE i.kind = 'email' GROUP BY i.value
                   UNION ALL SELECT 'Ghost@Example.com', 1, 1;`;

  async function refusal(work: Promise<unknown>): Promise<SqlTraitsException> {
    const error = await work.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof SqlTraitsException)) throw new Error(`expected a SqlTraitsException, got ${String(error)}`);
    return error;
  }

  async function values(
    key: string,
  ): Promise<{ profile_id: string; value: unknown; source_kind: string; source_id: string; source_version: number }[]> {
    return database.dataSource.query(
      `SELECT profile_id, value, source_kind, source_id, source_version FROM computed_trait_values WHERE key = $1 ORDER BY profile_id`,
      [key],
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    service = new SqlTraitsService(database.dataSource, { AK_SQL_TRAITS_TIMEOUT_MS: 5_000, AK_SQL_TRAITS_ROW_CAP: 1_000 } as AppConfig);
    for (const name of ['alice', 'bob', 'carol']) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      ids[name] = row.id;
      await database.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2), ('user_id', $3, $2)`, [
        `${name}@example.com`,
        row.id,
        `u-${name}`,
      ]);
    }
    // carol was merged into alice: her old profile id resolves to alice.
    const [loser] = await database.dataSource.query(`INSERT INTO profiles (traits, merged_into) VALUES ('{}', $1) RETURNING id`, [
      ids.alice,
    ]);
    ids.aliceOld = loser.id;
    await database.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       VALUES ('a1', $1, 'track', 'Order Completed', now(), '{"revenue": 10}'), ('a2', $1, 'track', 'Order Completed', now(), '{"revenue": 5.25}'),
              ('b1', $2, 'track', 'Order Completed', now(), '{"revenue": 3}')`,
      [ids.alice, ids.bob],
    );
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('previews the first rows, the row count, the column types and how keys resolve, writing nothing', async () => {
    const preview = await service.preview({ sql: LTV_SQL.replace(/;$/, '') });
    expect(preview.columns).toEqual([
      { name: 'email', type: 'text' },
      { name: 'ltv', type: 'numeric' },
      { name: 'orders', type: 'bigint' },
    ]);
    expect(preview.keyKind).toBe('email');
    expect(preview.valueColumns).toEqual(['ltv', 'orders']);
    expect(preview.rowCount).toBe(3);
    expect(preview.keys).toEqual({ resolved: 2, unknown: 1, unknownExamples: ['ghost@example.com'] });
    const many = await service.preview({
      sql: `SELECT id AS profile_id, 1 AS one FROM profiles CROSS JOIN generate_series(1, 1) UNION ALL SELECT gen_random_uuid(), g FROM generate_series(1, 30) g`,
    });
    expect(many.rowCount).toBe(33);
    expect(many.rows).toHaveLength(20);
    expect(many.keys.unknown).toBe(30);
    expect(await values('ltv')).toEqual([]);
  });

  it('creates, runs, and its columns land in computed_trait_values with their source recorded', async () => {
    const created = await service.create(
      sqlTraitCreateSchema.parse({ key: 'order_value', owner: 'crm@example.com', sql: LTV_SQL }),
      'key-1',
    );
    expect(created).toMatchObject({ key: 'order_value', version: 1, keyKind: 'email', valueColumns: ['ltv', 'orders'], cadence: 'manual' });
    const outcome = await service.run('order_value');
    expect(outcome).toMatchObject({
      status: 'succeeded',
      rowCount: 3,
      keys: { resolved: 2, unknown: 1 },
      values: { upserted: 4, deleted: 0 },
    });
    const ltv = await values('ltv');
    expect(ltv).toHaveLength(2);
    expect(ltv.map((row) => [row.profile_id, row.value])).toEqual(
      expect.arrayContaining([
        [ids.alice, 15.25],
        [ids.bob, 3],
      ]),
    );
    expect(ltv.every((row) => row.source_kind === 'sql' && row.source_id === created.id && row.source_version === 1)).toBe(true);
    expect((await service.get('order_value')).lastRun).toMatchObject({ status: 'succeeded', rowCount: 3 });
  });

  it('its values are usable in segments through the computed_trait condition', async () => {
    const compiled = compileSegmentSql(
      { type: 'rules', match: { type: 'computed_trait', key: 'ltv', operator: 'gt', value: 10 } },
      { now: new Date() },
    );
    const members: { profile_id: string }[] = await database.dataSource.query(compiled.text, compiled.values);
    expect(members.map((row) => row.profile_id)).toEqual([ids.alice]);
  });

  it('resolves a merged profile id to its winner, and a rerun removes values no longer returned', async () => {
    await service.create(
      sqlTraitCreateSchema.parse({
        key: 'vip_flags',
        owner: 'crm@example.com',
        keyKind: 'profile_id',
        sql: `SELECT '${ids.aliceOld}'::uuid AS profile_id, true AS vip UNION ALL SELECT '${ids.bob}', false`,
      }),
      null,
    );
    await service.run('vip_flags');
    const vip = await values('vip');
    expect(vip).toHaveLength(2);
    expect(vip.map((row) => [row.profile_id, row.value])).toEqual(
      expect.arrayContaining([
        [ids.alice, true],
        [ids.bob, false],
      ]),
    );
    const updated = await service.update('vip_flags', { sql: `SELECT '${ids.bob}'::uuid AS profile_id, true AS vip` }, 'key-2');
    expect(updated.version).toBe(2);
    const rerun = await service.run('vip_flags');
    expect(rerun.values).toEqual({ upserted: 1, deleted: 1 });
    expect(await values('vip')).toEqual([expect.objectContaining({ profile_id: ids.bob, value: true, source_version: 2 })]);
    await expect(database.dataSource.query(`UPDATE sql_trait_versions SET sql = 'SELECT 1' WHERE version = 1`)).rejects.toThrow(
      /immutable/,
    );
  });

  it('deletes its values with the trait', async () => {
    const removed = await service.remove('vip_flags');
    expect(removed.valuesDeleted).toBe(1);
    expect(await values('vip')).toEqual([]);
    expect((await refusal(service.get('vip_flags'))).code).toBe('sql_trait_not_found');
  });

  it('waits for a computed trait saving the same key (one namespace lock), then refuses the column', async () => {
    // A computed trait's save, held open after claiming 'spend_key' under the namespace lock.
    const computedSave = database.dataSource.createQueryRunner();
    await computedSave.connect();
    await computedSave.startTransaction();
    let sqlSave: Promise<unknown> | undefined;
    try {
      await lockKeyNamespace(computedSave.manager);
      await computedSave.query(
        `WITH t AS (INSERT INTO computed_traits (key, description, owner, cadence, current_version) VALUES ('spend_key', '', 'crm', 'manual', 1) RETURNING id)
         INSERT INTO computed_trait_versions (trait_id, version, definition) SELECT id, 1, '{"function":"count","event":"x","window":"ever"}' FROM t`,
      );
      sqlSave = service
        .create(
          sqlTraitCreateSchema.parse({
            key: 'spend_sql',
            owner: 'crm@example.com',
            sql: 'SELECT id AS profile_id, 1 AS spend_key FROM profiles',
          }),
          null,
        )
        .then(
          () => 'saved',
          (error: unknown) => error,
        );
      // Without the shared lock the SQL trait's save would not wait here (and would see no computed trait yet).
      await waitForAdvisoryLockWaiter();
      await computedSave.commitTransaction();
    } finally {
      if (computedSave.isTransactionActive) await computedSave.rollbackTransaction();
      await computedSave.release();
    }
    const outcome = await sqlSave;
    expect(outcome).toBeInstanceOf(SqlTraitsException);
    expect(outcome).toMatchObject({
      code: 'sql_trait_key_collision',
      details: [{ path: 'columns.spend_key', message: 'belongs to computed trait spend_key' }],
    });
    expect((await refusal(service.get('spend_sql'))).code).toBe('sql_trait_not_found');
  });

  /** Resolves once some backend waits for an advisory lock (bounded: a save that never waits fails the test). */
  async function waitForAdvisoryLockWaiter(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const [row] = await database.dataSource.query(
        `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (row.waiting > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the SQL trait save never waited for the key namespace lock');
  }

  describe('names every mistake with a 400 code', () => {
    const create = (key: string, sql: string, keyKind?: string) =>
      service.create(sqlTraitCreateSchema.parse({ key, owner: 'crm@example.com', sql, ...(keyKind ? { keyKind } : {}) }), null);

    const cases: [string, () => Promise<unknown>, SqlTraitsExceptionCode, RegExp][] = [
      [
        'a missing key column',
        () => create('t1', `SELECT id, traits AS t FROM profiles`),
        'sql_missing_key_column',
        /^missing key column: the query must return a column named profile_id, user_id or email \(got id, t\)/,
      ],
      [
        'a key kind the query does not return',
        () => create('t2', `SELECT id AS profile_id, 1 AS x FROM profiles`, 'email'),
        'sql_missing_key_column',
        /column named email/,
      ],
      [
        'only a key column',
        () => create('t3', `SELECT id AS profile_id FROM profiles`),
        'sql_invalid_columns',
        /add at least one value column/,
      ],
      [
        'an unnamed column',
        () => create('t4', `SELECT id AS profile_id, 1 + 1 FROM profiles`),
        'sql_invalid_columns',
        /column "\?column\?" cannot be a trait key/,
      ],
      [
        'a column named twice',
        () => create('t5', `SELECT id AS profile_id, 1 AS x, 2 AS x FROM profiles`),
        'sql_invalid_columns',
        /column x appears twice/,
      ],
      [
        'an unknown identifier',
        () => create('t6', `SELECT id AS profile_id, ltv FROM profiles`),
        'sql_unknown_identifier',
        /^unknown identifier ltv/,
      ],
      [
        'a syntax error',
        () => create('t7', `SELECT id AS profile_id, FROM profiles`),
        'sql_syntax_error',
        /^syntax error at line 1, column 26/,
      ],
      [
        'a secret table',
        () => create('t8', `SELECT id AS profile_id, key_hash AS h FROM public.api_keys`),
        'sql_permission_denied',
        /only the documented views are readable/,
      ],
      ['a taken key', () => create('order_value', `SELECT id AS profile_id, 1 AS other FROM profiles`), 'sql_trait_key_taken', /exists/],
      [
        'a column another SQL trait owns',
        () => create('t9', `SELECT id AS profile_id, 1 AS ltv FROM profiles`),
        'sql_trait_key_collision',
        /^column ltv: the trait key ltv belongs to SQL trait order_value/,
      ],
      [
        'duplicate keys at preview',
        () => service.preview({ sql: `SELECT 'A@example.com' AS email, 1 AS n UNION ALL SELECT 'a@example.com', 2` }),
        'sql_duplicate_keys',
        /^duplicate keys: email "a@example.com" is on more than one row/,
      ],
      [
        'two keys naming one merged profile',
        () => service.preview({ sql: `SELECT '${ids.alice}'::uuid AS profile_id, 1 AS n UNION ALL SELECT '${ids.aliceOld}'::uuid, 2` }),
        'sql_duplicate_keys',
        /name the same profile/,
      ],
      [
        'a bad cadence',
        () =>
          service.create(
            sqlTraitCreateSchema.parse({ key: 't10', owner: 'o', cadence: 'hourly', sql: 'SELECT id AS profile_id, 1 AS n FROM profiles' }),
            null,
          ),
        'invalid_sql_trait',
        /^cadence is not "manual" or a valid cron expression/,
      ],
    ];
    it.each(cases)('%s', async (_what, work, code, message) => {
      const error = await refusal(work());
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      const [{ count }] = await database.dataSource.query(`SELECT count(*)::int AS count FROM sql_traits WHERE key ~ '^t[0-9]+$'`);
      expect(count).toBe(0);
    });

    it('refuses a column that is a computed trait key', async () => {
      await database.dataSource.query(`INSERT INTO computed_traits (key, owner) VALUES ('total_spend', 'crm@example.com')`);
      const error = await refusal(create('t11', `SELECT id AS profile_id, 1 AS total_spend FROM profiles`));
      expect(error.code).toBe('sql_trait_key_collision');
      expect(error.message).toMatch(/^column total_spend: the trait key total_spend belongs to computed trait total_spend/);
    });

    it('records a failed run on the card and names the problem (a timeout)', async () => {
      const quick = new SqlTraitsService(database.dataSource, { AK_SQL_TRAITS_TIMEOUT_MS: 200, AK_SQL_TRAITS_ROW_CAP: 1_000 } as AppConfig);
      await quick.create(
        sqlTraitCreateSchema.parse({ key: 'slow', owner: 'o', sql: `SELECT id AS profile_id, pg_sleep(0.3)::text AS z FROM profiles` }),
        null,
      );
      const error = await refusal(quick.run('slow'));
      expect(error.code).toBe('sql_timeout');
      expect(error.message).toBe('the query ran longer than 200 ms and was stopped');
      expect((await quick.get('slow')).lastRun).toMatchObject({ status: 'failed', code: 'sql_timeout' });
      await quick.remove('slow');
    });
  });

  it('runs due SQL traits once per fire time', async () => {
    await service.create(
      sqlTraitCreateSchema.parse({
        key: 'every_minute',
        owner: 'o',
        cadence: '* * * * *',
        sql: `SELECT id AS profile_id, 7 AS seven FROM profiles`,
      }),
      null,
    );
    const later = new Date(Date.now() + 120_000);
    expect(await service.runDue(later)).toEqual([{ key: 'every_minute', status: 'succeeded' }]);
    expect(await service.runDue(later)).toEqual([]);
    expect((await values('seven')).length).toBe(3);
  });

  it('answers sql_traits_unavailable naming the reason when the reader cannot use the views', async () => {
    await database.dataSource.query(`REVOKE USAGE ON SCHEMA sql_traits FROM ${SQL_TRAITS_READER_ROLE}`);
    try {
      const error = await refusal(service.preview({ sql: 'SELECT id AS profile_id, 1 AS n FROM profiles' }));
      expect(error.code).toBe('sql_traits_unavailable');
      expect(error.message).toMatch(/has no USAGE on the schema sql_traits/);
    } finally {
      await database.dataSource.query(`GRANT USAGE ON SCHEMA sql_traits TO ${SQL_TRAITS_READER_ROLE}`);
    }
  });
});
