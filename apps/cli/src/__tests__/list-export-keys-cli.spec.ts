import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSegmentSchema } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { openOpsContext, OpsServices } from '../ops/ops-context';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * The CLI as a process over a real Postgres: `segments upload-list` (the report by line number, a
 * new version, a refresh queued), `members export` (CSV with the identifiers asked for, audited),
 * `keys list` (never a secret) and `keys revoke`.
 */
describe('CLI lists, member export and keys', () => {
  let db: TestDatabase;
  let ops: OpsServices;
  const dir = mkdtempSync(path.join(tmpdir(), 'ak-cli-lists-'));

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
    ops = await openOpsContext(db.url);
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await db.dataSource.query(
      `INSERT INTO identities (type, value, profile_id) VALUES ('email', 'ann@example.com', $1), ('phone', '+447911123456', $1)`,
      [profile.id],
    );
    await ops.segments.create(
      createSegmentSchema.parse({ key: 'list', name: 'List', owner: 'crm', definition: { type: 'list', identifierType: 'email' } }),
      null,
    );
  }, 60_000);

  afterAll(async () => {
    await ops?.close();
    await db?.drop();
  });

  it('uploads a list, then exports its members after the refresh', async () => {
    const file = path.join(dir, 'list.csv');
    writeFileSync(file, 'email\nAnn@Example.com\nnope\nbob@example.com\n');
    const uploaded = await cli('segments', 'upload-list', 'list', file);
    expect(uploaded.code).toBe(0);
    expect(uploaded.stdout).toContain('segment list v2: 3 line(s), 2 identifier(s), 1 matched, 1 unmatched, 1 invalid, 0 duplicate(s)');
    expect(uploaded.stdout).toContain('line 3: invalid (not an email address): nope');
    expect(uploaded.stdout).toContain('line 4: no profile has bob@example.com');
    const runId = /refresh ([0-9a-f-]{36}) queued/.exec(uploaded.stdout)?.[1];
    expect(await ops.refresh.execute(runId as string)).toMatchObject({ status: 'succeeded', size: 1 });

    const out = path.join(dir, 'members.csv');
    const exported = await cli('members', 'export', 'list', '--identifiers', 'email,phone', '--out', out);
    expect(exported.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^profile_id,email,phone\n[0-9a-f-]{36},ann@example\.com,\+447911123456\n$/);
    const toStdout = await cli('members', 'export', 'list', '--identifiers', 'phone');
    expect(toStdout.stdout).toMatch(/^profile_id,phone\n[0-9a-f-]{36},\+447911123456\n$/);
    const audit = await db.dataSource.query(`SELECT details FROM audit_log WHERE action = 'segment_members.exported' ORDER BY id`);
    expect(audit.map((row: { details: unknown }) => row.details)).toEqual([
      { identifiers: ['email', 'phone'], via: 'cli' },
      { identifiers: ['phone'], via: 'cli' },
    ]);
    expect(await cli('members', 'export', 'list', '--identifiers', 'fax')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--identifiers takes a comma-separated list of email, phone, user_id, anonymous_id; not fax'),
    });
  }, 120_000);

  it('lists keys without their secrets and revokes one', async () => {
    const created = await new ApiKeyService(db.dataSource).create('ops laptop', 'marketer');
    const listed = await cli('keys', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(created.key.id);
    expect(listed.stdout).toContain(created.prefix);
    expect(listed.stdout).not.toContain(created.secret);
    expect(listed.stdout).toMatch(/ops laptop/);
    expect(await cli('keys', 'revoke', created.key.id)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`revoked key ${created.key.id}`),
    });
    expect((await cli('keys', 'list', '--revoked', 'true')).stdout).toMatch(new RegExp(`${created.key.id}.*revoked`));
    expect(await cli('keys', 'revoke', created.key.id)).toMatchObject({ code: 1 });
    expect(await cli('keys', 'revoke', 'nope')).toMatchObject({ code: 2 });
  }, 120_000);
});
