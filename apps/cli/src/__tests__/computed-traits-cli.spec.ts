import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const ROOT = path.resolve(__dirname, '../../../..');
const DAY = 86_400_000;
// Each case starts several CLI processes (Nest context, migration check): slow on a loaded machine.
const PROCESSES_TIMEOUT_MS = 120_000;

/** `computed-traits preview | run | list` as real CLI processes over a real Postgres. */
describe('CLI computed-traits', () => {
  let db: TestDatabase;
  const profiles: string[] = [];
  const folder = mkdtempSync(path.join(tmpdir(), 'ak-computed-traits-'));
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  const order = (profileId: string, revenue: unknown, daysAgo: number, n: number) =>
    db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', 'Order Completed', $3, $4)`,
      [`${profileId}-${n}`, profileId, new Date(Date.now() - daysAgo * DAY), { revenue }],
    );
  const spend = { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 90 days' };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (let index = 0; index < 3; index += 1) {
      const [row] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      profiles.push(row.id);
    }
    await order(profiles[0], 10, 1, 1);
    await order(profiles[0], 30, 2, 2);
    await order(profiles[1], 5, 3, 3);
    // Outside the window: no value for the third profile.
    await order(profiles[2], 99, 200, 4);
  });

  afterAll(async () => {
    await db?.drop();
  }, PROCESSES_TIMEOUT_MS);

  it(
    'previews a definition from a file or inline; nothing is written',
    async () => {
      const file = path.join(folder, 'spend.json');
      writeFileSync(file, JSON.stringify(spend));
      const preview = await cli('computed-traits', 'preview', '--file', file);
      expect(preview).toMatchObject({ code: 0 });
      expect(preview.stdout).toContain('profiles: 3; with a value 2, without 1');
      expect(preview.stdout).toContain('numeric values: 2; min 5, max 40, mean 22.5');
      expect(preview.stdout).toContain('histogram:\n  5 – 8.5: 1\n');
      expect(preview.stdout).toContain('  36.5 – 40: 1\n');
      // Two values seen once each: their order is not specified.
      expect(preview.stdout).toMatch(/top values:\n( {2}(40|5): 1\n){2}$/);

      const inline = await cli(
        'computed-traits',
        'preview',
        '--definition',
        JSON.stringify({ ...spend, function: 'count', property: undefined }),
      );
      expect(inline).toMatchObject({ code: 0, stdout: expect.stringContaining('profiles: 3; with a value 3, without 0') });
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM computed_trait_values`)).toEqual([{ n: 0 }]);
    },
    PROCESSES_TIMEOUT_MS,
  );

  it(
    'names a mistake in the definition (exit 1) and a usage mistake (exit 2)',
    async () => {
      const bad = await cli('computed-traits', 'preview', '--definition', JSON.stringify({ ...spend, window: 'last 9 fortnights' }));
      expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('definition.window') });
      expect(await cli('computed-traits', 'preview')).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('computed-traits preview needs --file <definition.json> or --definition <json>'),
      });
      expect(await cli('computed-traits', 'preview', '--definition', '{sum')).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--definition: not JSON'),
      });
      expect(await cli('computed-traits', 'run', 'nothing_here')).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('no computed trait with key nothing_here'),
      });
    },
    PROCESSES_TIMEOUT_MS,
  );

  it(
    'lists traits and runs one into computed_trait_values',
    async () => {
      expect(await cli('computed-traits', 'list')).toMatchObject({ code: 0, stdout: 'no computed traits\n' });
      const [trait] = await db.dataSource.query(
        `INSERT INTO computed_traits (key, description, owner, cadence, current_version) VALUES ('spend_90d', '', 'crm', 'manual', 1) RETURNING id`,
      );
      await db.dataSource.query(`INSERT INTO computed_trait_versions (trait_id, version, definition) VALUES ($1, 1, $2)`, [
        trait.id,
        JSON.stringify(spend),
      ]);

      const run = await cli('computed-traits', 'run', 'spend_90d');
      expect(run).toMatchObject({
        code: 0,
        stdout: 'computed trait spend_90d v1: 2 profile(s) with a value; values upserted 2, deleted 0\n',
      });
      const values = await db.dataSource.query(
        `SELECT profile_id, value, source_kind FROM computed_trait_values WHERE key = 'spend_90d' ORDER BY value::numeric`,
      );
      expect(values).toEqual([
        { profile_id: profiles[1], value: 5, source_kind: 'computed' },
        { profile_id: profiles[0], value: 40, source_kind: 'computed' },
      ]);

      const listed = await cli('computed-traits', 'list');
      expect(listed).toMatchObject({ code: 0 });
      expect(listed.stdout).toMatch(
        /^spend_90d v1 \[manual\] owner crm: sum\(revenue\) of "Order Completed" last 90 days; last run \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
      );
    },
    PROCESSES_TIMEOUT_MS,
  );
});
