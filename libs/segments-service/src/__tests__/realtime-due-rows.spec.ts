import { IngestionService, parseTrackingMessage, TrackingEvent } from '@audiencekit/ingestion';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RealtimeEvaluator } from '../realtime/realtime-evaluator.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';

const HOUR = 3_600_000;

/**
 * The stored due times of a re-evaluated profile: only what changed is written. A row whose
 * instant did not change keeps its physical row (same ctid), a moved instant replaces its row,
 * and a due time that no longer exists is deleted.
 */
describe('real-time due rows', () => {
  let database: TestDatabase;
  let ingestion: IngestionService;
  let segments: SegmentsService;
  let evaluator: RealtimeEvaluator;
  let now = new Date('2026-06-15T12:00:00.000Z');
  let sequence = 0;

  const track = (userId: string, name: string) => {
    sequence += 1;
    const parsed = parseTrackingMessage(
      { messageId: `due-${sequence}`, timestamp: now.toISOString(), userId, event: name, properties: {} },
      'track',
      { receivedAt: now, checkSize: true },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return ingestion.ingest([parsed.event as TrackingEvent]);
  };
  const profileOf = async (userId: string): Promise<string> =>
    (await database.dataSource.query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [userId]))[0].profile_id;
  const dueRows = (profileId: string): Promise<{ segment_id: string; due_ms: number; ctid: string }[]> =>
    database.dataSource.query(
      `SELECT segment_id, floor(extract(epoch FROM due_at) * 1000)::float8 AS due_ms, ctid::text AS ctid FROM realtime_due WHERE profile_id = $1 ORDER BY segment_id`,
      [profileId],
    );
  const touch = (profileId: string) => database.dataSource.query(`INSERT INTO realtime_touches (profile_id) VALUES ($1)`, [profileId]);
  const window = (event: string, hours: number) => ({ type: 'rules', match: { type: 'event', event, window: `last ${hours} hours` } });

  beforeAll(async () => {
    database = await createTestDatabase();
    const gate = new SegmentDefinitionGate({ historyDays: undefined });
    segments = new SegmentsService(database.dataSource, gate);
    ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 } });
    evaluator = new RealtimeEvaluator(database.dataSource, { clock: () => now });
    for (const [key, definition] of [
      ['added-1h', window('Product Added', 1)],
      ['viewed-2h', window('Page Viewed', 2)],
    ] as const)
      await segments.create({ key, name: key, owner: 'test', refreshCadence: 'realtime', definition } as never, 'test', now);
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('leaves an unchanged due time in place, replaces a moved one and deletes one that is gone', async () => {
    await track('ann', 'Product Added');
    await track('ann', 'Page Viewed');
    const viewedAt = now.getTime();
    await evaluator.drain();
    const ann = await profileOf('ann');
    const [added, viewed] = await dueRows(ann);
    expect([added.due_ms, viewed.due_ms].sort()).toEqual([viewedAt + HOUR, viewedAt + 2 * HOUR]);

    // Evaluated again with nothing new: both rows stay as they are (not deleted and re-inserted).
    await touch(ann);
    expect((await evaluator.drain()).profiles).toBe(1);
    expect(await dueRows(ann)).toEqual([added, viewed]);

    // A later page view moves one due time; the other row stays in place.
    now = new Date(viewedAt + 10 * 60_000);
    await track('ann', 'Page Viewed');
    await evaluator.drain();
    const moved = await dueRows(ann);
    const byDue = (rows: { due_ms: number }[], ms: number) => rows.find((row) => row.due_ms === ms);
    expect(byDue(moved, viewedAt + HOUR)).toEqual(byDue([added, viewed], viewedAt + HOUR));
    expect(byDue(moved, now.getTime() + 2 * HOUR)).toBeDefined();
    expect(moved).toHaveLength(2);

    // Past the cart window: the exit is applied and that segment's due time is gone.
    now = new Date(viewedAt + HOUR);
    await evaluator.drain();
    expect((await dueRows(ann)).map((row) => row.due_ms)).toEqual([viewedAt + 10 * 60_000 + 2 * HOUR]);
  });
});
