import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { lookupKindsFor, profilesShow } from '../profiles/profile-show';

const ROOT = path.resolve(__dirname, '../../../..');

/** `profiles show <identifier> [--explain <segment>]` over a real Postgres, and through the CLI process. */
describe('CLI profiles show', () => {
  let db: TestDatabase;
  let profileId: string;
  let lines: string[];
  const print = (line: string) => lines.push(line);

  beforeAll(async () => {
    db = await createTestDatabase();
    const query = (text: string, values: unknown[] = []) => db.dataSource.query(text, values);
    [{ id: profileId }] = await query(`INSERT INTO profiles (traits, trait_timestamps) VALUES ($1, $2) RETURNING id`, [
      { email: 'ann@example.com', plan: 'pro' },
      { email: '2026-01-01T00:00:00.000Z', plan: '2026-01-01T00:00:00.000Z' },
    ]);
    await query(
      `INSERT INTO identities (type, value, profile_id) VALUES ('email', 'ann@example.com', $1), ('user_id', 'u-ann', $1), ('anonymous_id', 'anon-9', $1)`,
      [profileId],
    );
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ('m1', $1, 'identify', NULL, '2026-01-01T00:00:00Z', '{"email":"ann@example.com","plan":"pro"}')`,
      [profileId],
    );
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('pros', 'Pros', 'crm', 'manual', 1) RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } },
    ]);
  }, 60_000);

  beforeEach(() => {
    lines = [];
  });

  afterAll(async () => {
    await db?.drop();
  });

  it.each([
    ['8b0c7a52-0d6e-4bb5-9d0e-0a5d3f9b6c11', ['profileId']],
    [' Ann@Example.com', ['email']],
    ['+447911123456', ['phone']],
    ['u-ann', ['userId', 'anonymousId']],
  ])('reads %p as %p', (identifier, kinds) => expect(lookupKindsFor(identifier)).toEqual(kinds));

  it('prints the profile found by email, user id or anonymous id, and explains a segment', async () => {
    for (const identifier of ['ANN@example.com', 'u-ann', 'anon-9']) {
      lines = [];
      expect(await profilesShow(db.dataSource, print, identifier)).toBe(0);
      expect(lines[0]).toMatch(new RegExp(`^profile ${profileId} `));
    }
    expect(lines).toContain('  email ann@example.com');
    expect(lines).toContain('  plan = "pro" (set 2026-01-01T00:00:00.000Z by identify m1)');
    lines = [];
    expect(await profilesShow(db.dataSource, print, 'u-ann', { explain: 'pros' })).toBe(0);
    expect(lines).toContain('explain pros v1: matches now, not a member');
    expect(lines).toContain('  ✓ match trait {"kind":"trait","value":"pro"}');
  });

  it('answers 1 when nobody has the identifier', async () => {
    expect(await profilesShow(db.dataSource, print, 'nobody@example.com')).toBe(1);
    expect(lines).toEqual(['no profile has email nobody@example.com']);
  });

  it('through the CLI process: found (exit 0), a malformed phone is refused naming it (non-zero exit)', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: db.url },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    expect(await cli('profiles', 'show', 'ann@example.com')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`profile ${profileId}`),
    });
    const refused = await cli('profiles', 'show', '+12');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('phone is not a valid phone number');
  }, 60_000);
});
