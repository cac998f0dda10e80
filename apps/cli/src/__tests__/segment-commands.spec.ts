import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createSegmentSchema } from '@audiencekit/segments-service';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { CliUsageException } from '../database';
import { EXIT, segmentsList } from '../ops/ops-commands';
import { openOpsContext, OpsServices } from '../ops/ops-context';
import { segmentsChanges, segmentsSetCadence } from '../ops/segment-commands';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * `segments update --cadence` (real time included, and its refusal) and `segments changes` (the
 * live feed of GET /segments/:id/changes) over a real Postgres; the argument checks through the
 * real CLI process.
 */
describe('CLI segment cadence and change feed', () => {
  let db: TestDatabase;
  let ops: OpsServices;
  let segmentId: string;
  let lines: string[];
  const print = (line: string) => lines.push(line);

  /** What the real-time evaluator commits for one entry or exit. */
  async function realtimeChange(profileId: string, change: 'added' | 'removed'): Promise<void> {
    await db.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO segment_membership_changes (segment_id, profile_id, change, cause, run_id, version, changed_at)
         VALUES ($1, $2, $3, 'realtime', NULL, 1, clock_timestamp())`,
        [segmentId, profileId, change],
      );
      if (change === 'added')
        await manager.query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), NULL)`, [
          segmentId,
          profileId,
        ]);
      else await manager.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2`, [segmentId, profileId]);
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ops = await openOpsContext(db.url);
    const create = (key: string, definition: unknown) =>
      ops.segments.create(createSegmentSchema.parse({ key, name: key, owner: 'crm', definition }), null);
    segmentId = (await create('carts', EXAMPLE_SEGMENTS.cartAbandoner.definition)).id;
    await create('vip', EXAMPLE_SEGMENTS.vip.definition);
    await create('of-vip', { type: 'rules', match: { type: 'segment', segment: 'vip' } });
  }, 60_000);

  beforeEach(() => {
    lines = [];
  });

  afterAll(async () => {
    await ops?.close();
    await db?.drop();
  });

  it('makes a rules segment real time, and segments list shows it', async () => {
    await expect(segmentsSetCadence(ops, print, 'carts', 'realtime')).resolves.toBe(EXIT.ok);
    expect(lines).toEqual(['segment carts: cadence realtime, version 1']);
    const [row] = await db.dataSource.query(`SELECT refresh_cadence FROM segments WHERE id = $1`, [segmentId]);
    expect(row.refresh_cadence).toBe('realtime');
    lines = [];
    await segmentsList(ops, print, { limit: 50, offset: 0 });
    expect(lines.find((line) => line.startsWith('carts '))).toMatch(/^carts\s+active\s+crm\s+realtime\s+v1\s/);
  });

  it('refuses real time for a definition that refers to a segment that is not real time, naming it', async () => {
    await expect(segmentsSetCadence(ops, print, 'of-vip', 'realtime')).rejects.toThrow(/refers to segment "vip", which is not real time/);
    const [row] = await db.dataSource.query(`SELECT refresh_cadence FROM segments WHERE key = 'of-vip'`);
    expect(row.refresh_cadence).toBe('manual');
  });

  it('refuses a cadence that is neither manual, realtime nor cron as a usage error', async () => {
    await expect(segmentsSetCadence(ops, print, 'carts', 'every tuesday')).rejects.toThrow(CliUsageException);
    await expect(segmentsSetCadence(ops, print, 'carts', 'every tuesday')).rejects.toThrow(/^--cadence is not "manual"/);
  });

  it('prints the latest entries and exits newest first, with their cause, and the size', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      ids.push(id);
      await realtimeChange(id, 'added');
    }
    await realtimeChange(ids[0], 'removed');
    await expect(segmentsChanges(ops, print, 'carts', 3)).resolves.toBe(EXIT.ok);
    expect(lines[0]).toMatch(/^ID\s+CHANGED AT\s+CHANGE\s+CAUSE\s+PROFILE\s+VERSION\s+RUN$/);
    expect(lines.slice(1, 4).map((line) => line.split(/\s+/).slice(2))).toEqual([
      ['removed', 'realtime', ids[0], 'v1', '-'],
      ['added', 'realtime', ids[2], 'v1', '-'],
      ['added', 'realtime', ids[1], 'v1', '-'],
    ]);
    expect(lines.at(-1)).toBe('segment carts (cadence realtime): 2 member(s) now; 3 latest change(s) shown');
  });

  it('as a process: segments changes prints the feed, and --limit over 500 is a usage error', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: db.url },
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const shown = await cli('segments', 'changes', 'carts', '--limit', '1');
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining('2 member(s) now; 1 latest change(s) shown') });
    expect(await cli('segments', 'changes', 'carts', '--limit', '501')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--limit must be at most 500'),
    });
  }, 120_000);
});
