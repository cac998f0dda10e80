import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hashApiKey } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import expected from '../../fixtures/online_retail_expected.json';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const SAMPLE = path.resolve(ROOT, 'data/online_retail_sample.csv');

/** Runs the real CLI (`npm run cli` runs the same entry) against the test database. */
async function cli(databaseUrl: string | undefined, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _inherited, ...inherited } = process.env;
  const env = databaseUrl ? { ...inherited, DATABASE_URL: databaseUrl } : inherited;
  try {
    const { stdout, stderr } = await run(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
      cwd: ROOT,
      env,
      maxBuffer: 10 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each case starts the CLI as a child process (compiling TypeScript on the fly): seconds, not ms.
jest.setTimeout(120_000);

describe('audiencekit CLI against a real database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  it('creates an admin key (migrating the empty database first) and prints its secret once', async () => {
    const result = await cli(db.url, 'keys', 'create', '--role', 'admin', '--name', 'first admin');
    expect(result.code).toBe(0);
    const secret = /secret: (ak_adm_\S+)/.exec(result.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(await query(`SELECT name, role FROM api_keys WHERE key_hash = $1`, [hashApiKey(secret ?? '')])).toEqual([
      { name: 'first admin', role: 'admin' },
    ]);
  });

  it('creates write keys as client sources unless --trust server is given', async () => {
    const client = await cli(db.url, 'keys', 'create', '--role', 'write', '--name', 'site');
    const server = await cli(db.url, 'keys', 'create', '--role', 'write', '--name', 'backend', '--trust', 'server');
    expect([client.code, server.code]).toEqual([0, 0]);
    expect(server.stdout).toContain('trust server');
    expect(await query(`SELECT name, trust FROM api_keys WHERE role = 'write' ORDER BY name`)).toEqual([
      { name: 'backend', trust: 'server' },
      { name: 'site', trust: 'client' },
    ]);
    expect(await cli(db.url, 'keys', 'create', '--role', 'write', '--name', 'x', '--trust', 'root')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--trust must be one of client, server'),
    });
  });

  it("changes a key's trust with keys trust <id> client|server", async () => {
    const created = await cli(db.url, 'keys', 'create', '--role', 'write', '--name', 'legacy', '--trust', 'server');
    const id = /id ([0-9a-f-]{36})/.exec(created.stdout)?.[1] ?? '';
    expect(await cli(db.url, 'keys', 'trust', id, 'client')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('is now a client source'),
    });
    expect(await query(`SELECT trust FROM api_keys WHERE id = $1`, [id])).toEqual([{ trust: 'client' }]);
    expect(await cli(db.url, 'keys', 'trust', id, 'root')).toMatchObject({ code: 2 });
    expect(await cli(db.url, 'keys', 'trust', '00000000-0000-4000-8000-000000000000', 'server')).toMatchObject({ code: 1 });
  });

  it('imports customers: identify calls with normalised identities, rejected rows listed with line and reason', async () => {
    const result = await cli(db.url, 'import', 'customers', path.join(FIXTURES, 'customers.csv'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rows read\s+7\n/);
    expect(result.stdout).toMatch(/imported\s+4\s/);
    expect(result.stdout).toMatch(/rejected\s+3\n/);
    expect(result.stdout).toContain('line 4: the customer id is empty');
    expect(result.stdout).toContain('line 5: the timestamp "not a date" is not an ISO 8601 date-time');
    expect(result.stdout).toContain('line 6: expected 7 fields, found 6');

    const [ann] = await query<{ traits: Record<string, unknown>; identities: string[] }>(
      `SELECT p.traits, array_agg(i.type || '=' || i.value ORDER BY i.type) AS identities
         FROM profiles p JOIN identities i ON i.profile_id = p.id
        WHERE p.id = (SELECT profile_id FROM identities WHERE type = 'user_id' AND value = 'c-1') GROUP BY p.id`,
    );
    expect(ann.identities).toEqual(['email=ann@example.com', 'phone=+447911123456', 'user_id=c-1']);
    expect(ann.traits).toEqual({ email: 'Ann@Example.com', phone: '+44 7911 123456', first_name: 'Ann', age: 34, plan: 'pro' });
    // A zero-padded id is a code, kept as written.
    expect(await query(`SELECT count(*)::int AS n FROM identities WHERE type = 'user_id' AND value = '0007'`)).toEqual([{ n: 1 }]);
  });

  it('imports orders: lines become Order Completed / Order Refunded with revenue; no customer id is skipped, bad rows rejected', async () => {
    const rejectedFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'ak-cli-')), 'rejected.csv');
    const result = await cli(db.url, 'import', 'orders', path.join(FIXTURES, 'orders.csv'), '--rejected-file', rejectedFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/imported\s+5\s+\(Order Completed 4, Order Refunded 1\)/);
    expect(result.stdout).toMatch(/skipped\s+1\s+\(no customer id: 1\)/);
    expect(readFileSync(rejectedFile, 'utf8')).toBe(
      'line,reason\n7,"the timestamp ""yesterday"" is not an ISO 8601 date-time"\n8,"the quantity ""many"" is not a number"\n9,"expected 8 fields, found 5"\n',
    );
    const events = await query<{ name: string; user_id: string; properties: Record<string, unknown> }>(
      `SELECT name, user_id, properties FROM events WHERE name LIKE 'Order %' ORDER BY timestamp, properties->>'product_id'`,
    );
    expect(events.map((event) => [event.name, event.user_id, event.properties['order_id'], event.properties['revenue']])).toEqual([
      ['Order Completed', 'c-1', 'o-1', 19.98],
      ['Order Completed', 'c-1', 'o-1', 5],
      ['Order Completed', 'c-2', 'o-2', 100],
      ['Order Refunded', 'c-2', 'C-o-2', -100],
      ['Order Completed', 'c-5', 'o-7', 6.75],
    ]);
    expect(events[4].properties).toEqual({
      order_id: 'o-7',
      revenue: 6.75,
      quantity: 3,
      price: 2.25,
      product_id: 'SKU-5',
      name: 'Card, large',
      channel: 'web',
    });
    // The orders join the customers imported before (same user id → same profile).
    expect(
      await query(
        `SELECT count(DISTINCT e.profile_id)::int AS n FROM events e JOIN identities i ON i.profile_id = e.profile_id AND i.type = 'email' WHERE e.user_id = 'c-1'`,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('stores nothing new when the same file is imported again', async () => {
    const before = await query(`SELECT count(*)::int AS n FROM events`);
    const result = await cli(db.url, 'import', 'orders', path.join(FIXTURES, 'orders.csv'));
    expect(result.stdout).toMatch(/events stored\s+0\s+\(already stored before: 5\)/);
    expect(await query(`SELECT count(*)::int AS n FROM events`)).toEqual(before);
  });

  it('imports the whole UCI Online Retail sample and matches the figures computed independently (make_fixtures.py)', async () => {
    const sample = expected.sample;
    const result = await cli(db.url, 'import', 'orders', SAMPLE, '--batch-size', '500');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`rows read\\s+${sample.rows.toLocaleString('en-US')}\\n`));
    expect(result.stdout).toMatch(new RegExp(`imported\\s+${(sample.orderCompleted + sample.orderRefunded).toLocaleString('en-US')}\\s`));
    expect(result.stdout).toMatch(
      new RegExp(
        `skipped\\s+${sample.skippedNoCustomer.toLocaleString('en-US')}\\s+\\(no customer id: ${sample.skippedNoCustomer.toLocaleString('en-US')}\\)`,
      ),
    );
    expect(result.stdout).toMatch(/rejected\s+0\n/);

    const [stored] = await query<Record<string, string | number>>(
      `SELECT count(*) FILTER (WHERE name = 'Order Completed')::int AS completed,
              count(*) FILTER (WHERE name = 'Order Refunded')::int AS refunded,
              count(DISTINCT user_id)::int AS customers,
              sum((properties->>'revenue')::numeric) FILTER (WHERE name = 'Order Completed')::text AS revenue_completed,
              sum((properties->>'revenue')::numeric) FILTER (WHERE name = 'Order Refunded')::text AS revenue_refunded
         FROM events WHERE message_id LIKE 'import-orders-%' AND user_id NOT LIKE 'c-%'`,
    );
    expect(stored).toEqual({
      completed: sample.orderCompleted,
      refunded: sample.orderRefunded,
      customers: sample.customers,
      revenue_completed: sample.revenueCompleted,
      revenue_refunded: sample.revenueRefunded,
    });
    // One live profile per customer (stitching by user id), every event on it.
    expect(
      await query(
        `SELECT count(DISTINCT i.profile_id)::int AS n FROM identities i WHERE i.type = 'user_id' AND i.value NOT LIKE 'c-%' AND i.value <> '0007'`,
      ),
    ).toEqual([{ n: sample.customers }]);
    expect(
      await query(`SELECT count(*)::int AS n FROM events e JOIN profiles p ON p.id = e.profile_id WHERE p.merged_into IS NOT NULL`),
    ).toEqual([{ n: 0 }]);
  });

  it('shows a progress bar on a terminal (and only there), then the summary', async () => {
    // util-linux `script` runs the CLI on a pseudo-terminal, as ops would.
    const command = [
      process.execPath,
      '-r',
      '@swc-node/register',
      path.join(ROOT, 'apps/cli/src/main.ts'),
      'import',
      'customers',
      path.join(FIXTURES, 'customers.csv'),
    ].join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url } });
    expect(stdout).toMatch(/={40} 100% \| 7 rows/);
    expect(stdout).toMatch(/rows read\s+7\s/);
    const piped = await cli(db.url, 'import', 'customers', path.join(FIXTURES, 'customers.csv'));
    expect(piped.stdout).not.toContain('100%');
    expect(piped.stdout).toMatch(/events stored\s+0\s+\(already stored before: 4\)/);
  });

  it('explains what is wrong: no DATABASE_URL, an unknown role, a file without the needed columns', async () => {
    expect(await cli(undefined, 'keys', 'create', '--role', 'admin', '--name', 'x')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('DATABASE_URL is not set'),
    });
    expect(await cli(db.url, 'keys', 'create', '--role', 'root', '--name', 'x')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role must be one of admin, marketer, viewer, write'),
    });
    const result = await cli(db.url, 'import', 'orders', path.join(FIXTURES, 'customers.csv'));
    expect(result).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('an orders file needs columns for order, timestamp, quantity, unit price or amount'),
    });
  });

  it('runs the ops commands as a process: segments list, and a clear error for an unknown activation', async () => {
    const listed = await cli(db.url, 'segments', 'list');
    expect(listed).toMatchObject({ code: 0, stdout: expect.stringContaining('0 of 0 segment(s)') });
    expect(await cli(db.url, 'sync', '00000000-0000-4000-8000-000000000000', '--no-wait')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no activation 00000000-0000-4000-8000-000000000000'),
    });
    expect(await cli(db.url, 'segments', 'refresh', 'nope')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no segment with id or key "nope"'),
    });
    expect(await cli(db.url, 'runs', 'show', 'x', '--poll-ms', '1')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--poll-ms must be an integer of at least 10'),
    });
  });
});
