import { Client } from 'pg';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase, waitUntil } from '@audiencekit/testing';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentBusyException, SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';

/**
 * One segment is never refreshed twice at once: the run's transaction holds a per-segment advisory
 * lock, so a second run of the same segment (another worker, or a manual refresh racing the
 * schedule) is refused as busy and goes back to the queue, without touching the membership.
 */
describe('segment refresh exclusivity', () => {
  let database: TestDatabase;
  let refresh: SegmentRefreshService;
  let segmentId: string;
  let other: Client;

  const newRun = async (): Promise<string> => {
    const [run] = await database.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, 1, 'queued', 'manual') RETURNING id`,
      [segmentId],
    );
    return run.id;
  };
  const runRow = async (id: string) =>
    (await database.dataSource.query(`SELECT status, adds, started_at FROM segment_runs WHERE id = $1`, [id]))[0];
  const count = async (sql: string) => (await database.dataSource.query(sql, [segmentId]))[0].n as number;

  beforeAll(async () => {
    database = await createTestDatabase();
    const gate = new SegmentDefinitionGate();
    refresh = new SegmentRefreshService(
      database.dataSource,
      new SegmentsService(database.dataSource, gate),
      gate,
      undefined as unknown as JobQueue,
    );
    const [segment] = await database.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('germans', 'Germans', 'test', 'manual', 1) RETURNING id`,
    );
    segmentId = segment.id;
    await database.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segmentId,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    await database.dataSource.query(`INSERT INTO profiles (traits) SELECT jsonb_build_object('country', 'DE') FROM generate_series(1, 5)`);
    other = new Client({ connectionString: database.url });
    await other.connect();
  });

  afterAll(async () => {
    await other?.end();
    await database?.drop();
  });

  it('refuses a run while another session holds the segment, and leaves it queued with nothing written', async () => {
    await other.query(`BEGIN`);
    await other.query(`SELECT pg_advisory_xact_lock(hashtextextended('segment-refresh:' || $1, 0))`, [segmentId]);
    const runId = await newRun();
    try {
      await expect(refresh.execute(runId)).rejects.toBeInstanceOf(SegmentBusyException);
      expect(await runRow(runId)).toMatchObject({ status: 'queued', started_at: null });
      expect(await count(`SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1`)).toBe(0);
    } finally {
      await other.query(`ROLLBACK`);
    }
    expect(await refresh.execute(runId)).toMatchObject({ status: 'succeeded', size: 5, adds: 5 });
    expect(await refresh.execute(runId)).toEqual({ status: 'skipped' });
  });

  it('two runs of one segment racing: the second is refused while the first is mid-transaction', async () => {
    await database.dataSource.query(`INSERT INTO profiles (traits) SELECT jsonb_build_object('country', 'DE') FROM generate_series(1, 3)`);
    const [first, second] = [await newRun(), await newRun()];
    // Stall the first run inside its transaction, after it has taken the segment and written its
    // changes but before it can swap the membership.
    await other.query(`BEGIN`);
    await other.query(`LOCK TABLE segment_memberships IN EXCLUSIVE MODE`);
    const running = refresh.execute(first);
    try {
      // The first run is blocked on the table lock, so it already holds the segment's advisory lock.
      const stalled = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND $1::uuid IS NOT NULL`;
      await waitUntil(async () => (await count(stalled)) > 0, 10_000, 20);
      await expect(refresh.execute(second)).rejects.toBeInstanceOf(SegmentBusyException);
    } finally {
      await other.query(`COMMIT`);
    }
    expect(await running).toMatchObject({ status: 'succeeded', size: 8, adds: 3, removes: 0 });
    expect(await refresh.execute(second)).toMatchObject({ status: 'succeeded', size: 8, adds: 0, removes: 0 });
    expect(await count(`SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1`)).toBe(8);
    expect(await count(`SELECT count(*)::int AS n FROM segment_membership_changes WHERE segment_id = $1`)).toBe(8);
    expect(
      await count(`SELECT count(*)::int AS n FROM events WHERE name = 'Segment Entered' AND properties->>'segment_id' = $1::text`),
    ).toBe(8);
  });
});
