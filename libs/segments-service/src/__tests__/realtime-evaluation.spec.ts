import { IngestionService, parseTrackingMessage, TrackingEvent, TrackingMessageType } from '@audiencekit/ingestion';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import type { JobQueue } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RealtimeEvaluator } from '../realtime/realtime-evaluator.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentRefreshService } from '../segment-refresh.service';
import { SegmentsService } from '../segments.service';
import { SegmentsException } from '../segments.exception';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Real-time audiences end to end below the HTTP layer: events stored by the real ingestion service
 * hand their profiles over in the same transaction, the evaluator moves memberships the way a
 * refresh does (history with cause `realtime`, Segment Entered / Exited), and due times move them
 * when a window slides, with the clock driven by the test.
 */
describe('real-time evaluation', () => {
  let database: TestDatabase;
  let ingestion: IngestionService;
  let segments: SegmentsService;
  let refresh: SegmentRefreshService;
  let evaluator: RealtimeEvaluator;
  let now = new Date('2026-06-15T12:00:00.000Z');
  let sequence = 0;

  const event = (type: TrackingMessageType, message: Record<string, unknown>): TrackingEvent => {
    sequence += 1;
    const parsed = parseTrackingMessage({ messageId: `rt-${sequence}`, timestamp: now.toISOString(), ...message }, type, {
      receivedAt: now,
      checkSize: true,
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.event;
  };
  const track = (userId: string, name: string, properties: Record<string, unknown> = {}, at: Date = now) =>
    ingestion.ingest([event('track', { userId, event: name, properties, timestamp: at.toISOString() })]);
  const profileOf = async (userId: string): Promise<string> => {
    const [row] = await database.dataSource.query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [userId]);
    return row.profile_id;
  };
  const members = async (segmentId: string): Promise<string[]> =>
    (
      await database.dataSource.query(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1 ORDER BY profile_id`, [segmentId])
    ).map((row: { profile_id: string }) => row.profile_id);
  const segmentByKey = async (key: string) => {
    const found = (await segments.list({ limit: 100, offset: 0 })).items.find((item) => item.key === key);
    if (!found) throw new Error(`no segment ${key}`);
    return found;
  };
  /** A queued run, as `requestRefresh` records it (the queue is not part of this test). */
  const queuedRun = async (segmentId: string): Promise<string> => {
    const [run] = await database.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger) SELECT id, current_version, 'queued', 'manual' FROM segments WHERE id = $1 RETURNING id`,
      [segmentId],
    );
    return run.id;
  };
  const createRealtime = (key: string, definition: unknown) =>
    segments.create({ key, name: key, owner: 'test', refreshCadence: 'realtime', definition } as never, 'test', now);

  beforeAll(async () => {
    database = await createTestDatabase();
    const gate = new SegmentDefinitionGate({ historyDays: undefined });
    segments = new SegmentsService(database.dataSource, gate);
    refresh = new SegmentRefreshService(database.dataSource, segments, gate, undefined as unknown as JobQueue);
    ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 } });
    evaluator = new RealtimeEvaluator(database.dataSource, { clock: () => now });
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('enters the cart abandoner on the add, exits it one hour later to the millisecond, and records both like a refresh', async () => {
    const cart = await createRealtime('cart-1h', {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'Product Added', window: 'last 1 hours' },
          { type: 'event', event: 'Order Completed', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
        ],
      },
    });
    await track('ada', 'Product Added', { sku: 'a' });
    const ada = await profileOf('ada');
    const outcome = await evaluator.drain();
    expect(outcome.profiles).toBeGreaterThanOrEqual(1);
    expect(await members(cart.id)).toEqual([ada]);

    const [change] = await database.dataSource.query(
      `SELECT change, cause, run_id, version FROM segment_membership_changes WHERE segment_id = $1 AND profile_id = $2`,
      [cart.id, ada],
    );
    expect(change).toEqual({ change: 'added', cause: 'realtime', run_id: null, version: 1 });
    const [entered] = await database.dataSource.query(`SELECT properties FROM events WHERE profile_id = $1 AND name = 'Segment Entered'`, [
      ada,
    ]);
    expect(entered.properties).toMatchObject({ segment_id: cart.id, segment_key: 'cart-1h', cause: 'realtime', segment_version: 1 });
    const [due] = await database.dataSource.query(`SELECT due_at FROM realtime_due WHERE segment_id = $1 AND profile_id = $2`, [
      cart.id,
      ada,
    ]);
    expect(new Date(due.due_at).getTime()).toBe(now.getTime() + HOUR);

    const added = now;
    now = new Date(added.getTime() + HOUR - 1);
    await evaluator.drain();
    expect(await members(cart.id)).toEqual([ada]);
    now = new Date(added.getTime() + HOUR);
    const exit = await evaluator.drain();
    expect(exit.changes).toBe(1);
    expect(await members(cart.id)).toEqual([]);
    const exited = await database.dataSource.query(`SELECT timestamp FROM events WHERE profile_id = $1 AND name = 'Segment Exited'`, [ada]);
    expect(exited.map((row: { timestamp: Date }) => row.timestamp.getTime())).toEqual([added.getTime() + HOUR]);
  });

  it('enters "no order in the last 30 days" 30 days after the last order, with no event', async () => {
    const lapsed = await createRealtime('lapsed-30d', {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'Order Completed', window: 'ever' },
          { type: 'event', event: 'Order Completed', window: 'last 30 days', count: { operator: 'exactly', value: 0 } },
        ],
      },
    });
    await evaluator.drain(); // the start hands every profile over
    await track('bo', 'Order Completed', { revenue: 10 });
    const ordered = now;
    const bo = await profileOf('bo');
    await evaluator.drain();
    expect(await members(lapsed.id)).not.toContain(bo);
    now = new Date(ordered.getTime() + 30 * DAY - 1);
    await evaluator.drain();
    expect(await members(lapsed.id)).not.toContain(bo);
    now = new Date(ordered.getTime() + 30 * DAY);
    await evaluator.drain();
    expect(await members(lapsed.id)).toContain(bo);
  });

  it('evaluates a new version with its new definition (the evaluator reuses its compiled segment set only while no version changed)', async () => {
    const viewed = (hours: number) => ({ type: 'rules', match: { type: 'event', event: 'Page Viewed', window: `last ${hours} hours` } });
    const browsed = await createRealtime('browsed-recently', viewed(1));
    await track('cy', 'Page Viewed', {}, new Date(now.getTime() - 2 * HOUR));
    const cy = await profileOf('cy');
    await evaluator.drain();
    expect(await members(browsed.id)).not.toContain(cy);
    await segments.update(browsed.id, { definition: viewed(3) } as never, 'test', now);
    await evaluator.drain();
    expect(await members(browsed.id)).toContain(cy);
  });

  it('evaluates a burst of events on one profile once, not once per event', async () => {
    const ids = Array.from({ length: 40 }, () => event('track', { userId: 'cy', event: 'Product Added', properties: {} }));
    await ingestion.ingest(ids);
    const [{ touches }] = await database.dataSource.query(`SELECT count(*)::int AS touches FROM realtime_touches WHERE profile_id = $1`, [
      await profileOf('cy'),
    ]);
    expect(touches).toBeGreaterThanOrEqual(1);
    const outcome = await evaluator.runBatch();
    expect(outcome.profiles).toBe(1);
    expect(outcome.handOffLagsMs).toHaveLength(1);
  });

  it('removes the loser of a merge from every segment and re-evaluates the winner', async () => {
    const cart = await segmentByKey('cart-1h');
    await ingestion.ingest([event('track', { anonymousId: 'anon-dee', event: 'Product Added', properties: {} })]);
    await evaluator.drain();
    const [{ profile_id: anonymous }] = await database.dataSource.query(
      `SELECT profile_id FROM identities WHERE type = 'anonymous_id' AND value = 'anon-dee'`,
    );
    expect(await members(cart.id)).toContain(anonymous);
    await track('dee', 'Product Added');
    await evaluator.drain();
    const known = await profileOf('dee');
    expect(await members(cart.id)).toEqual(expect.arrayContaining([anonymous, known]));
    await ingestion.ingest([event('identify', { userId: 'dee', anonymousId: 'anon-dee', traits: {} })]);
    await evaluator.drain();
    const winner = await profileOf('dee');
    const loser = winner === known ? anonymous : known;
    const current = await members(cart.id);
    expect(current).not.toContain(loser);
    expect(current).toContain(winner);
    const [exit] = await database.dataSource.query(
      `SELECT cause FROM segment_membership_changes WHERE segment_id = $1 AND profile_id = $2 AND change = 'removed'`,
      [cart.id, loser],
    );
    expect(exit).toEqual({ cause: 'realtime' });
  });

  it('takes an erased profile out of every real-time segment (libs/privacy hands it over as erasure does here)', async () => {
    await track('eve', 'Product Added');
    await evaluator.drain();
    const eve = await profileOf('eve');
    const cart = await segmentByKey('cart-1h');
    expect(await members(cart.id)).toContain(eve);
    await database.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE profiles SET traits = '{}', deleted_at = now() WHERE id = $1`, [eve]);
      await manager.query(`INSERT INTO realtime_touches (profile_id) VALUES ($1)`, [eve]);
    });
    await evaluator.drain();
    expect(await members(cart.id)).not.toContain(eve);
    const [{ due }] = await database.dataSource.query(`SELECT count(*)::int AS due FROM realtime_due WHERE profile_id = $1`, [eve]);
    expect(due).toBe(0);
  });

  it('refuses a real-time cadence for what cannot be real time, naming the part and the reason', async () => {
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('accepted');
        },
        (error: unknown) => error as SegmentsException,
      );
    const rfm = await refusal(createRealtime('rfm-rt', { type: 'rfm', tiers: ['champions'] }));
    expect(rfm.code).toBe('not_realtime_capable');
    expect(rfm.details?.[0]).toMatchObject({ path: 'definition.type' });

    await segments.create(
      { key: 'batch-vip', name: 'v', owner: 't', refreshCadence: 'manual', definition: EXAMPLE_SEGMENTS.vip.definition } as never,
      't',
      now,
    );
    const batchReference = await refusal(
      createRealtime('refers-batch', { type: 'rules', match: { type: 'all', conditions: [{ type: 'segment', segment: 'batch-vip' }] } }),
    );
    expect(batchReference.code).toBe('not_realtime_capable');
    expect(batchReference.details?.[0]).toMatchObject({ path: 'definition.match.conditions.0' });
    expect(batchReference.message).toMatch(/batch-vip.*not real time/);

    const bounded = new SegmentsService(database.dataSource, new SegmentDefinitionGate({ historyDays: 90 }));
    const tooLong = await refusal(
      bounded.create(
        {
          key: 'long-window',
          name: 'l',
          owner: 't',
          refreshCadence: 'realtime',
          definition: { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 120 days' } },
        } as never,
        't',
        now,
      ),
    );
    expect(tooLong.code).toBe('not_realtime_capable');
    expect(tooLong.message).toMatch(/120 days|90/);
  });

  it('refuses to take a segment out of real time while a real-time segment refers to it', async () => {
    const base = await createRealtime('rt-base', {
      type: 'rules',
      match: { type: 'event', event: 'Product Added', window: 'last 7 days' },
    });
    await createRealtime('rt-nested', { type: 'rules', match: { type: 'segment', segment: 'rt-base' } });
    const error = await segments.update(base.id, { refreshCadence: 'manual' }, 't', now).then(
      () => undefined,
      (caught: SegmentsException) => caught,
    );
    expect(error?.code).toBe('segment_referenced_by_realtime');
    expect(error?.details?.[0]).toMatchObject({ path: 'refreshCadence' });
  });

  it('reconciles: a refresh of a real-time segment counts the memberships real time had wrong, and fixes them', async () => {
    const cart = await segmentByKey('rt-base');
    await evaluator.drain();
    const before = await members(cart.id);
    expect(before.length).toBeGreaterThan(0);
    // Sabotage: a member silently lost, as a bug in real time would.
    await database.dataSource.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2`, [cart.id, before[0]]);
    const run = await queuedRun(cart.id);
    const outcome = await refresh.execute(run, now);
    expect(outcome).toMatchObject({ status: 'succeeded', adds: 1, removes: 0, corrections: 1 });
    expect(await members(cart.id)).toEqual(before);
    const [{ corrections }] = await database.dataSource.query(`SELECT corrections FROM segment_runs WHERE id = $1`, [run]);
    expect(corrections).toBe(1);
    // A second reconciliation finds nothing to correct.
    const again = await refresh.execute(await queuedRun(cart.id), now);
    expect(again).toMatchObject({ status: 'succeeded', adds: 0, removes: 0, corrections: 0 });
  });
});
