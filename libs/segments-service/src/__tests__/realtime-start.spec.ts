import { IngestionService, parseTrackingMessage, TrackingEvent } from '@audiencekit/ingestion';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RealtimeEvaluator } from '../realtime/realtime-evaluator.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';

/**
 * Starting real-time segment versions: segments started together hand each live profile over
 * once (not once per segment), and the hand-off table's planner statistics are fresh afterwards,
 * so the batches that follow look profiles up by index rather than scanning every hand-off.
 */
describe('starting real-time segments', () => {
  let database: TestDatabase;
  const now = new Date('2026-06-15T12:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase();
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('hands each profile over once for every segment started together, then analyses the hand-off table', async () => {
    const ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 }, realtimeHandOff: false });
    const events = ['ann', 'bo', 'cy'].map((userId, index) => {
      const parsed = parseTrackingMessage(
        { messageId: `start-${index}`, timestamp: now.toISOString(), userId, event: 'Product Added', properties: {} },
        'track',
        { receivedAt: now, checkSize: true },
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed.event as TrackingEvent;
    });
    await ingestion.ingest(events);
    const segments = new SegmentsService(database.dataSource, new SegmentDefinitionGate({ historyDays: undefined }));
    for (const hours of [1, 2, 3]) {
      const definition = { type: 'rules', match: { type: 'event', event: 'Product Added', window: `last ${hours} hours` } };
      await segments.create(
        { key: `added-${hours}h`, name: 'added', owner: 'test', refreshCadence: 'realtime', definition } as never,
        'test',
        now,
      );
    }
    const evaluator = new RealtimeEvaluator(database.dataSource, { clock: () => now });
    expect(await evaluator.startNewVersions()).toHaveLength(3);

    const [{ touches, profiles }] = await database.dataSource.query(
      `SELECT count(*)::int AS touches, count(DISTINCT profile_id)::int AS profiles FROM realtime_touches`,
    );
    expect({ touches, profiles }).toEqual({ touches: 3, profiles: 3 });
    const [{ reltuples }] = await database.dataSource.query(
      `SELECT reltuples::int AS reltuples FROM pg_class WHERE relname = 'realtime_touches'`,
    );
    expect(reltuples).toBe(3);

    const outcome = await evaluator.drain();
    expect(outcome).toMatchObject({ profiles: 3, changes: 9 });
  });
});
