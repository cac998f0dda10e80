import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const ROOT = path.resolve(__dirname, '../../../..');

/** `sql-traits preview --file`, `sql-traits run <key>` and `sql-traits list` as real CLI processes over a real Postgres. */
describe('CLI sql-traits', () => {
  let db: TestDatabase;
  let profileId: string;
  const folder = mkdtempSync(path.join(tmpdir(), 'ak-sql-traits-'));
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{"plan":"pro"}') RETURNING id`);
    profileId = profile.id;
  });

  afterAll(async () => {
    await db?.drop();
  });

  // Five CLI processes, each opening Nest and checking migrations: slow on a loaded machine.
  it('previews a file, runs a trait, lists it, and names a mistake', async () => {
    const query = path.join(folder, 'q.sql');
    writeFileSync(query, `-- plan tiers\nSELECT id AS profile_id, traits->>'plan' AS plan_tier FROM profiles;\n`);
    const preview = await cli('sql-traits', 'preview', '--file', query);
    expect(preview).toMatchObject({ code: 0 });
    expect(preview.stdout).toContain('columns: profile_id uuid, plan_tier text');
    expect(preview.stdout).toContain('rows: 1; keys resolved 1, unknown 0');
    expect(preview.stdout).toContain(JSON.stringify({ plan_tier: 'pro', profile_id: profileId }));

    const [trait] = await db.dataSource.query(`INSERT INTO sql_traits (key, owner) VALUES ('plans', 'crm') RETURNING id`);
    await db.dataSource.query(
      `INSERT INTO sql_trait_versions (trait_id, version, sql, key_kind, value_columns) VALUES ($1, 1, $2, 'profile_id', '{plan_tier}')`,
      [trait.id, `SELECT id AS profile_id, traits->>'plan' AS plan_tier FROM profiles`],
    );
    const run = await cli('sql-traits', 'run', 'plans');
    expect(run).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('SQL trait plans v1: 1 row(s), keys resolved 1, unknown 0; values upserted 1'),
    });
    expect(await db.dataSource.query(`SELECT key, value FROM computed_trait_values`)).toEqual([{ key: 'plan_tier', value: 'pro' }]);
    const listed = await cli('sql-traits', 'list');
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toMatch(
      /^plans v1 \[manual\] owner crm: key profile_id, columns plan_tier; last run \d{4}-\d\d-\d\dT[\d:.]+Z \(succeeded\)\n$/,
    );

    writeFileSync(query, 'SELECT id AS profile_id, key_hash AS h FROM public.api_keys');
    expect(await cli('sql-traits', 'preview', '--file', query)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('only the documented views are readable'),
    });
    expect(await cli('sql-traits', 'preview')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('sql-traits preview needs --file'),
    });
  }, 120_000);
});
