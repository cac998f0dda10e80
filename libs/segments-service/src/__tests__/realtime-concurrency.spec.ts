import { IngestionService, parseTrackingMessage, TrackingEvent, TrackingMessageType } from '@audiencekit/ingestion';
import { createDataSource } from '@audiencekit/persistence';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { DataSource } from 'typeorm';
import { RealtimeEvaluator } from '../realtime/realtime-evaluator.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';
import { SeededRandom } from './random-rules';

const PROFILES = 500;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = new Date('2026-06-15T12:00:00.000Z');

const SEGMENTS: Record<string, unknown> = {
  'rt-cart': {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'event', event: 'Product Added', window: 'last 1 hours' },
        { type: 'event', event: 'Order Completed', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
      ],
    },
  },
  'rt-buyers': {
    type: 'rules',
    match: { type: 'event', event: 'Order Completed', window: 'last 7 days', count: { operator: 'at_least', value: 2 } },
  },
  'rt-pro': { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } },
  'rt-pro-cart': {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'segment', segment: 'rt-cart' },
        { type: 'segment', segment: 'rt-pro' },
      ],
    },
  },
  'rt-quiet': {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'event', event: 'Page Viewed', window: 'ever' },
        { type: 'not', condition: { type: 'event', event: 'Page Viewed', window: 'last 30 minutes' } },
      ],
    },
  },
};

/** One stored world: a database, its evaluators (one data source each) and the test clock. */
interface World {
  database: TestDatabase;
  extra: DataSource[];
  evaluators: RealtimeEvaluator[];
  ingestion: IngestionService;
}

/**
 * Real-time evaluation is idempotent and safe to run in parallel: the same stream of bursts (500
 * profiles, events out of timestamp order, identifies) stored in three databases gives exactly the
 * same membership changes whether one evaluator drains the backlog, two evaluators on two data
 * sources drain it at once, or the events arrived in the reverse order; evaluating everything
 * again changes nothing.
 */
describe('real-time evaluation: idempotent, and two evaluators in parallel change exactly what one does', () => {
  let now = START;
  const clock = () => now;
  let single: World;
  let parallel: World;
  let reversed: World;
  const stream = buildStream();

  async function world(evaluators: number): Promise<World> {
    const database = await createTestDatabase();
    const gate = new SegmentDefinitionGate({ historyDays: undefined });
    const segments = new SegmentsService(database.dataSource, gate);
    for (const [key, definition] of Object.entries(SEGMENTS)) {
      await segments.create({ key, name: key, owner: 'test', refreshCadence: 'realtime', definition } as never, 'test', now);
    }
    const extra = await Promise.all(
      Array.from({ length: evaluators - 1 }, () =>
        createDataSource({ url: database.url, poolSize: 3, applicationName: 'audiencekit-test' }).initialize(),
      ),
    );
    return {
      database,
      extra,
      evaluators: [database.dataSource, ...extra].map((dataSource) => new RealtimeEvaluator(dataSource, { clock, batchSize: 20 })),
      ingestion: new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 } }),
    };
  }

  beforeAll(async () => {
    [single, parallel, reversed] = await Promise.all([world(1), world(2), world(1)]);
    for (const { evaluators } of [single, parallel, reversed]) await evaluators[0].startNewVersions();
    for (const call of stream) {
      await single.ingestion.ingest(call.map(parse));
      await parallel.ingestion.ingest(call.map(parse));
    }
    // The same messages, the calls and the events within each call in reverse order.
    for (const call of [...stream].reverse()) await reversed.ingestion.ingest([...call].reverse().map(parse));
  }, 120_000);

  afterAll(async () => {
    for (const one of [single, parallel, reversed]) {
      for (const dataSource of one?.extra ?? []) await dataSource.destroy();
      await one?.database.drop();
    }
  });

  it('two evaluators draining one backlog at once record the changes one records, each once', async () => {
    const [alone, together] = await Promise.all([drainTogether(single), drainTogether(parallel)]);
    // Both evaluators of the parallel world did part of the work.
    expect(together[0]).toBeGreaterThan(0);
    expect(together[1]).toBeGreaterThan(0);
    expect(alone[0]).toBeGreaterThan(0);
    const changes = await changesOf(single);
    expect(changes.length).toBeGreaterThan(300);
    expect(await changesOf(parallel)).toEqual(changes);
    await expectOneLifecycleEventPerChange(parallel);
  }, 60_000);

  it('events arriving in reverse timestamp and call order give the same membership as in order', async () => {
    await drainTogether(reversed);
    expect(await membershipOf(reversed)).toEqual(await membershipOf(single));
    expect((await membershipOf(single)).length).toBeGreaterThan(100);
  }, 60_000);

  it('time-triggered exits and entries, drained by two evaluators, match one evaluator', async () => {
    now = new Date(START.getTime() + HOUR + 5 * MINUTE);
    await Promise.all([drainTogether(single), drainTogether(parallel), drainTogether(reversed)]);
    const changes = await changesOf(single);
    expect(changes.filter((change) => change.endsWith(now.toISOString())).length).toBeGreaterThan(50);
    expect(await changesOf(parallel)).toEqual(changes);
    expect(await membershipOf(reversed)).toEqual(await membershipOf(single));
    await expectOneLifecycleEventPerChange(parallel);
  }, 60_000);

  it('evaluating again changes nothing: a second drain finds no work, and handing every profile over again records no change', async () => {
    const before = await changesOf(parallel);
    expect(await drainTogether(parallel)).toEqual([0, 0]);
    await parallel.database.dataSource.query(`INSERT INTO realtime_touches (profile_id) SELECT id FROM profiles`);
    const again = await drainTogether(parallel);
    expect(again[0] + again[1]).toBeGreaterThanOrEqual(PROFILES);
    expect(await changesOf(parallel)).toEqual(before);
    expect(await membershipOf(parallel)).toEqual(await membershipOf(single));
  }, 60_000);

  /**
   * Every evaluator of the world runs batches at the same time until nothing is left (a batch
   * finding every candidate locked by the other comes back empty: look again while work remains).
   * Returns the profiles each evaluated.
   */
  async function drainTogether(one: World): Promise<number[]> {
    await one.evaluators[0].startNewVersions();
    return Promise.all(
      one.evaluators.map(async (evaluator) => {
        let profiles = 0;
        for (;;) {
          const outcome = await evaluator.runBatch();
          profiles += outcome.profiles;
          if (outcome.profiles === 0 && !(await hasWork(one))) return profiles;
        }
      }),
    );
  }

  async function hasWork(one: World): Promise<boolean> {
    const [row] = await one.database.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM realtime_touches) OR EXISTS (SELECT 1 FROM realtime_due WHERE due_at <= $1) AS work`,
      [now],
    );
    return row.work;
  }
});

/** The recorded changes, named by segment key and user id (ids differ between databases), in a canonical order. */
async function changesOf(one: World): Promise<string[]> {
  const rows: { line: string }[] = await one.database.dataSource.query(
    `SELECT s.key || ' ' || i.value || ' ' || c.change || ' ' || to_char(c.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS line
       FROM segment_membership_changes c
       JOIN segments s ON s.id = c.segment_id
       JOIN identities i ON i.profile_id = c.profile_id AND i.type = 'user_id'`,
  );
  return rows.map((row) => row.line).sort();
}

async function membershipOf(one: World): Promise<string[]> {
  const rows: { line: string }[] = await one.database.dataSource.query(
    `SELECT s.key || ' ' || i.value AS line FROM segment_memberships m
       JOIN segments s ON s.id = m.segment_id JOIN identities i ON i.profile_id = m.profile_id AND i.type = 'user_id'`,
  );
  return rows.map((row) => row.line).sort();
}

async function expectOneLifecycleEventPerChange(one: World): Promise<void> {
  const [row] = await one.database.dataSource.query(
    `SELECT (SELECT count(*)::int FROM segment_membership_changes) AS changes,
            (SELECT count(*)::int FROM events WHERE name IN ('Segment Entered', 'Segment Exited')) AS events,
            (SELECT count(DISTINCT properties->>'change_id')::int FROM events WHERE name IN ('Segment Entered', 'Segment Exited')) AS distinct_changes`,
  );
  expect(row.events).toBe(row.changes);
  expect(row.distinct_changes).toBe(row.changes);
}

interface Message {
  type: TrackingMessageType;
  body: Record<string, unknown>;
}

/**
 * Calls of up to 40 messages: per profile a burst of 1–6 tracks with timestamps in the last two
 * hours or the next minutes, in no particular order, and for some an identify with a plan.
 */
function buildStream(): Message[][] {
  const random = new SeededRandom(500);
  const messages: Message[] = [];
  for (let index = 0; index < PROFILES; index++) {
    const userId = `u-${index}`;
    if (random.chance(0.4)) {
      messages.push({ type: 'identify', body: { userId, traits: { plan: random.pick(['pro', 'free']) } } });
    }
    for (let burst = random.int(1, 6); burst > 0; burst--) {
      const offset = random.chance(0.1) ? random.int(1, 4 * MINUTE) : -random.int(0, 2 * HOUR);
      messages.push({
        type: 'track',
        body: {
          userId,
          event: random.pick(['Product Added', 'Product Added', 'Order Completed', 'Page Viewed']),
          properties: {},
          timestamp: new Date(START.getTime() + offset).toISOString(),
        },
      });
    }
  }
  const calls: Message[][] = [];
  for (let index = 0; index < messages.length; index += 40) calls.push(messages.slice(index, index + 40));
  return calls.map((call, callIndex) =>
    call.map((message, index) => ({ ...message, body: { ...message.body, messageId: `c${callIndex}-${index}` } })),
  );
}

function parse(message: Message): TrackingEvent {
  const parsed = parseTrackingMessage({ timestamp: START.toISOString(), ...message.body }, message.type, {
    receivedAt: START,
    checkSize: true,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.event;
}
