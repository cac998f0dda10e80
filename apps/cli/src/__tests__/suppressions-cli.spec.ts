import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');

/** Runs the real CLI entry (what `npm run cli` runs) against the test database. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _db, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

jest.setTimeout(120_000);

/** `suppressions import | export | add | remove` through the CLI process, on a real Postgres. */
describe('CLI: suppressions', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), 'ak-suppressions-'));
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url };
  });
  afterAll(async () => {
    await db.drop();
  });

  it('imports a CSV, listing invalid lines by number, and audits it', async () => {
    const file = path.join(dir, 'in.csv');
    writeFileSync(
      file,
      'identifier_type,identifier_value,channel,reason\nemail,Ann@Example.com,email,unsubscribed\nemail,nope,all,x\nphone,+447911123456,sms,\n',
    );
    const result = await cli(env, 'suppressions', 'import', file, '--reason', 'store list');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('read 3 line(s): 2 added, 0 already suppressed, 1 invalid');
    expect(result.stdout).toContain('line 3: identifier_value must be an email address');
    expect(await query(`SELECT identifier_type, identifier_value, channel, reason FROM suppressions ORDER BY id`)).toEqual([
      { identifier_type: 'email', identifier_value: 'ann@example.com', channel: 'email', reason: 'unsubscribed' },
      { identifier_type: 'phone', identifier_value: '+447911123456', channel: 'sms', reason: 'store list' },
    ]);
    expect((await query(`SELECT details FROM audit_log WHERE action = 'suppression.imported'`))[0].details).toMatchObject({
      via: 'cli',
      added: 2,
    });
  });

  it('adds and removes one identifier with a reason; bad options are usage errors naming the option', async () => {
    const added = await cli(env, 'suppressions', 'add', '--email', 'BOB@example.com', '--channel', 'all', '--reason', 'asked');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('suppressed: email bob@example.com on all');
    expect((await cli(env, 'suppressions', 'add', '--email', 'bob@example.com', '--reason', 'again')).stdout).toContain(
      'already suppressed',
    );
    const bad = await cli(env, 'suppressions', 'add', '--email', 'not-an-email', '--reason', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--email must be an email address');
    expect((await cli(env, 'suppressions', 'add', '--email', 'a@b.co', '--channel', 'fax', '--reason', 'x')).stderr).toContain('--channel');
    expect((await cli(env, 'suppressions', 'add', '--email', 'a@b.co')).stderr).toContain('needs --reason');
    const removed = await cli(env, 'suppressions', 'remove', '--email', 'bob@example.com', '--channel', 'all', '--reason', 'resubscribed');
    expect(removed.stdout).toContain('lifted: email bob@example.com on all (was: asked)');
    const missing = await cli(env, 'suppressions', 'remove', '--email', 'bob@example.com', '--reason', 'again');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no suppression of email bob@example.com');
  });

  it('exports the list (filtered by channel) as CSV to stdout or a file', async () => {
    const all = await cli(env, 'suppressions', 'export');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toBe('identifier_type,identifier_value,channel,reason,created_at');
    expect(lines).toHaveLength(3);
    const out = path.join(dir, 'sms.csv');
    expect((await cli(env, 'suppressions', 'export', '--channel', 'sms', '--out', out)).code).toBe(0);
    const sms = readFileSync(out, 'utf8').trim().split('\n');
    expect(sms.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['phone,+447911123456,sms']);
    expect((await cli(env, 'suppressions', 'export', '--channel', 'fax')).code).toBe(2);
  });
});
