import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

const ROOT = path.resolve(__dirname, '../../../..');
// Each case starts CLI processes (migration check): slow on a loaded machine.
const PROCESSES_TIMEOUT_MS = 120_000;

/** `text-signals list | score` as real CLI processes over a real Postgres. */
describe('CLI text-signals', () => {
  let db: TestDatabase;
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
    const [profile] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
    await db.dataSource.query(`INSERT INTO text_signal_configs (event, property, vocabularies) VALUES ('Review Submitted', 'text', $1)`, [
      JSON.stringify({ 'price-sensitive': ['price', 'expensive'] }),
    ]);
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ('r1', $1, 'track', 'Review Submitted', now(), '{"text": "Too expensive."}')`,
      [profile.id],
    );
  });

  afterAll(async () => {
    await db?.drop();
  }, PROCESSES_TIMEOUT_MS);

  it(
    'scores pending events now and lists the configuration with its progress; --max-events must be a positive integer',
    async () => {
      expect((await cli('text-signals', 'list')).stdout).toBe(
        'Review Submitted.text: tags price-sensitive (2 terms); 0 events scored, received before nothing yet\n',
      );
      expect(await cli('text-signals', 'score')).toMatchObject({ code: 0, stdout: '1 events scored\n' });
      expect(await cli('text-signals', 'score')).toMatchObject({ code: 0, stdout: '0 events scored\n' });
      expect((await cli('text-signals', 'list')).stdout).toMatch(
        /^Review Submitted\.text: tags price-sensitive \(2 terms\); 1 events scored, received before 20/,
      );
      const [event] = await db.dataSource.query(`SELECT signals FROM events WHERE message_id = 'r1'`);
      expect(event.signals.tags).toEqual(['price-sensitive']);
      expect(await cli('text-signals', 'score', '--max-events', '0')).toMatchObject({ code: 2 });
    },
    PROCESSES_TIMEOUT_MS,
  );
});
