import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSegmentSchema } from '@audiencekit/segments-service';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { EXIT } from '../ops/ops-commands';
import { openOpsContext, OpsServices } from '../ops/ops-context';
import { segmentsDrift } from '../ops/segment-commands';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * `segments drift` (#21) over a real Postgres: a propensity segment fitted now on 100 profiles with
 * v = i % 10 logins 45 days ago (training) and 15 days ago (now); then half of them log in 8 more
 * times, and the command prints the feature and the score as drifted.
 */
describe('CLI segments drift', () => {
  let db: TestDatabase;
  let ops: OpsServices;
  let ids: string[];
  let lines: string[];
  const print = (line: string) => lines.push(line);
  const events = (name: string, daysAgo: number, perProfile: (i: number) => number, tag: string) =>
    db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp)
       SELECT $2 || ':' || p.id || ':' || n, p.id, 'track', $1, now() - make_interval(days => $3::int)
         FROM unnest($4::uuid[], $5::int[]) AS p(id, count), generate_series(1, p.count) AS n`,
      [name, `${name}:${tag}`, daysAgo, ids, ids.map((_, i) => perProfile(i))],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    ops = await openOpsContext(db.url);
    const rows: { id: string; row: number }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits, first_seen_at)
       SELECT jsonb_build_object('row', n), now() - interval '100 days' FROM generate_series(0, 99) n RETURNING id, (traits->>'row')::int AS row`,
    );
    ids = rows.sort((a, b) => a.row - b.row).map((row) => row.id);
    await events('Login', 45, (i) => i % 10, 'train');
    await events('Login', 15, (i) => i % 10, 'now');
    await events('Purchase', 20, (i) => ((i * 7) % 10 < i % 10 ? 1 : 0), 'outcome');
    const definition = {
      type: 'propensity',
      population: 'all',
      tier: 'top',
      seed: 4,
      window: 'last 30 days',
      outcome: { event: 'Purchase', withinDays: 30 },
      features: [{ source: 'event_count', event: 'Login' }],
    };
    await ops.segments.create(
      createSegmentSchema.parse({
        key: 'buyers',
        name: 'buyers',
        owner: 'crm',
        definition,
        qualityThresholds: { minSize: 1, maxChurn: 10 },
      }),
      null,
    );
    await ops.segments.create(
      createSegmentSchema.parse({
        key: 'loggers',
        name: 'loggers',
        owner: 'crm',
        definition: { type: 'rules', match: { type: 'event', event: 'Login', window: 'last 30 days' } },
      }),
      null,
    );
  }, 120_000);

  beforeEach(() => {
    lines = [];
  });

  afterAll(async () => {
    await ops?.close();
    await db?.drop();
  });

  it('prints PSI 0 and no flag before the shift, the feature and the score as DRIFTED after it', async () => {
    expect(await segmentsDrift(ops, print, 'buyers')).toBe(EXIT.ok);
    expect(lines).toContainEqual(expect.stringMatching(/^count_Login\s+numeric\s+0\.0000\s+stable$/));
    expect(lines).toContain('100 profile(s) now compared with the training rows');
    expect(lines).toContainEqual(expect.stringMatching(/^AUC since the fit not available: no outcome observed since the fit yet/));
    expect(lines.at(-1)).toBe('no drift flagged');

    await events('Login', 2, (i) => (i % 2 === 0 ? 8 : 0), 'shift');
    lines = [];
    expect(await segmentsDrift(ops, print, 'buyers')).toBe(EXIT.ok);
    expect(lines).toContainEqual(expect.stringMatching(/^count_Login\s+numeric\s+\d+\.\d{4}\s+DRIFTED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\(score\)\s+numeric\s+\d+\.\d{4}\s+DRIFTED$/));
    expect(lines.at(-1)).toMatch(/^drift flagged: feature count_Login: PSI \d+\.\d{4} > 0\.2; score: PSI/);
  });

  it('as a process: a segment without a propensity model fails with the reason (exit 1)', async () => {
    const failed = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'segments', 'drift', 'loggers'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url } },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('drift is measured for propensity (and churn) segments') });
  }, 120_000);
});
