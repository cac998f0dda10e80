import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');

/** Runs the real CLI entry (what `npm run cli` runs) against the test database. */
async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _db, AK_SECRETS_KEYS: _keys, ...inherited } = process.env;
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

describe('CLI: secrets rotate and privacy delete', () => {
  let db: TestDatabase;
  const oldKey = SecretBox.generateKey('old');
  const newKey = SecretBox.generateKey('new');
  const query = <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('re-seals every destination with the first key, all or nothing', async () => {
    const sealed = new SecretBox(oldKey).seal(JSON.stringify({ apiKey: 'SG.secret-one' }));
    await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ('a', 'sendgrid', '{}', $1, $2), ('b', 'webhook', '{}', NULL, NULL)`,
      [sealed.ciphertext, sealed.keyId],
    );
    const deleted = new SecretBox(oldKey).seal(JSON.stringify({ token: 'two' }));
    await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id, deleted_at) VALUES ('c', 'webhook', '{}', $1, $2, now())`,
      [deleted.ciphertext, deleted.keyId],
    );

    // Without the old key in the ring nothing can be opened: refused, and nothing changes.
    const refused = await cli({ DATABASE_URL: db.url, AK_SECRETS_KEYS: newKey }, 'secrets', 'rotate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no key "old" in AK_SECRETS_KEYS; nothing was re-sealed/);
    expect(await query(`SELECT DISTINCT secrets_key_id FROM destinations WHERE secrets_key_id IS NOT NULL`)).toEqual([
      { secrets_key_id: 'old' },
    ]);

    const rotated = await cli({ DATABASE_URL: db.url, AK_SECRETS_KEYS: `${newKey},${oldKey}` }, 'secrets', 'rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/re-sealed 2 of 2 destination secret\(s\) with key "new"/);
    const rows = await query<{ name: string; secrets_ciphertext: string; secrets_key_id: string }>(
      `SELECT name, secrets_ciphertext, secrets_key_id FROM destinations WHERE secrets_ciphertext IS NOT NULL ORDER BY name`,
    );
    expect(rows.map((row) => row.secrets_key_id)).toEqual(['new', 'new']);
    // The new key alone opens them: the old one can be dropped.
    const newOnly = new SecretBox(newKey);
    expect(JSON.parse(newOnly.open({ keyId: rows[0].secrets_key_id, ciphertext: rows[0].secrets_ciphertext }))).toEqual({
      apiKey: 'SG.secret-one',
    });
    expect(JSON.parse(newOnly.open({ keyId: rows[1].secrets_key_id, ciphertext: rows[1].secrets_ciphertext }))).toEqual({ token: 'two' });

    const again = await cli({ DATABASE_URL: db.url, AK_SECRETS_KEYS: newKey }, 'secrets', 'rotate');
    expect(again.stdout).toMatch(/re-sealed 0 of 2/);
  });

  it('deletes a person by email and prints the record', async () => {
    const [profile] = await query(`INSERT INTO profiles (traits) VALUES ('{"email": "cli@example.com", "plan": "gold"}') RETURNING id`);
    await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', 'cli@example.com', $1), ('user_id', 'u-cli', $1)`, [
      profile.id,
    ]);
    await query(`INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('cli-1', $1, 'track', 'Viewed', now())`, [
      profile.id,
    ]);

    const usage = await cli({ DATABASE_URL: db.url }, 'privacy', 'delete');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/exactly one of --email, --phone, --user-id, --anonymous-id/);

    const result = await cli({ DATABASE_URL: db.url }, 'privacy', 'delete', '--email', 'CLI@example.com');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      identifierType: 'email',
      profileIds: [profile.id],
      deleted: { events: 1, identities: 2 },
      suppressions: 3,
    });
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [profile.id])).toEqual([{ n: 0 }]);
    expect(await query(`SELECT identifier_type FROM suppressions WHERE channel = 'all' ORDER BY identifier_type`)).toEqual([
      { identifier_type: 'email' },
      { identifier_type: 'profile_id' },
      { identifier_type: 'user_id' },
    ]);
  });
});
