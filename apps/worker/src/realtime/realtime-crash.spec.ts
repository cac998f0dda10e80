import { IngestionService, parseTrackingMessage, TrackingEvent } from '@audiencekit/ingestion';
import { compileSegmentSql, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { SegmentDefinitionGate, SegmentsService } from '@audiencekit/segments-service';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';

const PROFILES = 600;
const EVENTS_PER_PROFILE = 5;
const HOUR = 3_600_000;

// Windows of days: nothing crosses a window edge while the test runs, so the expected membership
// is the SQL refresh at the moment the backlog is empty.
const SEGMENTS: Record<string, unknown> = {
  'rt-carts': {
    type: 'rules',
    match: { type: 'event', event: 'Product Added', window: 'last 7 days', count: { operator: 'at_least', value: 2 } },
  },
  'rt-buyers': { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 7 days' } },
  'rt-browsing-carts': {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'segment', segment: 'rt-carts' },
        { type: 'not', condition: { type: 'segment', segment: 'rt-buyers' } },
      ],
    },
  },
};

/**
 * A worker killed (SIGKILL) in the middle of a burst of real-time work: batches are small
 * (AK_REALTIME_BATCH_SIZE=3), so the kill lands while evaluation transactions are open; events keep
 * arriving while no worker runs. A new worker finishes the backlog, and no transition is lost or
 * doubled: the membership equals the SQL refresh, every (profile, segment) entered at most once
 * with exactly one Segment Entered event per entry.
 */
describe('a worker killed during a real-time burst', () => {
  let db: TestDatabase;
  let ingestion: IngestionService;
  const workers: SpawnedProcess[] = [];
  const segmentIds = new Map<string, string>();
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const count = async (sql: string, params: unknown[] = []): Promise<number> => (await query<{ n: number }>(sql, params))[0].n;
  const workerBackends = () =>
    count(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'audiencekit-%' AND application_name <> 'audiencekit-test'`,
    );
  const spawnWorker = () => {
    const worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
      AK_REALTIME: 'true',
      AK_REALTIME_BATCH_SIZE: '3',
      AK_REALTIME_CONCURRENCY: '2',
    });
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ingestion = new IngestionService(db.dataSource, { groupCommit: { maxInFlight: 0 } });
    const segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate({ historyDays: undefined }));
    for (const [key, definition] of Object.entries(SEGMENTS)) {
      const view = await segments.create({ key, name: key, owner: 'test', refreshCadence: 'realtime', definition } as never, 'test');
      segmentIds.set(key, view.id);
    }
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await db?.drop();
  });

  /** Calls of 50 events over the profiles [from, to): Product Added mostly, some orders, timestamps in the last hours. */
  async function burst(from: number, to: number): Promise<void> {
    const now = Date.now();
    const events: TrackingEvent[] = [];
    for (let index = from; index < to; index++) {
      for (let sequence = 0; sequence < EVENTS_PER_PROFILE; sequence++) {
        const name = (index * 7 + sequence) % 11 === 0 ? 'Order Completed' : 'Product Added';
        events.push(parse(`p${index}-${sequence}`, `user-${index}`, name, new Date(now - ((index + sequence * 13) % 5) * HOUR)));
      }
    }
    for (let start = 0; start < events.length; start += 50) await ingestion.ingest(events.slice(start, start + 50));
  }

  it('a new worker finishes the backlog: no transition lost or doubled', async () => {
    await burst(0, PROFILES / 2);
    const first = spawnWorker();
    await first.waitFor(/audiencekit-worker up/, 30_000);
    const arriving = burst(PROFILES / 2, PROFILES);
    // Killed once it has committed some changes and while work remains (batches of 3: one is open).
    await waitUntil(async () => (await count(`SELECT count(*)::int AS n FROM segment_membership_changes`)) >= 20, 30_000);
    // ...and at a moment a worker transaction has written (taken hand-offs) and not committed yet.
    await waitUntil(
      async () =>
        (await count(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'audiencekit-worker%' AND backend_xid IS NOT NULL`,
        )) > 0,
      10_000,
      1,
    );
    const touchesAtKill = await count(`SELECT count(*)::int AS n FROM realtime_touches`);
    first.child.kill('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    expect(touchesAtKill).toBeGreaterThan(0);
    await arriving;
    await waitUntil(async () => (await workerBackends()) === 0, 20_000);
    const changesAfterKill = await count(`SELECT count(*)::int AS n FROM segment_membership_changes`);
    expect(await count(`SELECT count(*)::int AS n FROM realtime_touches`)).toBeGreaterThan(0);

    const second = spawnWorker();
    await second.waitFor(/audiencekit-worker up/, 30_000);
    await waitUntil(async () => (await count(`SELECT count(*)::int AS n FROM realtime_touches`)) === 0, 60_000);
    // The last batch that took the hand-offs has committed (they go in its transaction): nothing more moves.
    expect(await count(`SELECT count(*)::int AS n FROM segment_membership_changes`)).toBeGreaterThan(changesAfterKill);

    const now = new Date();
    for (const [key, definition] of Object.entries(SEGMENTS)) {
      const compiled = compileSegmentSql(parseSegmentDefinition(definition), { now });
      const expected = (await query<{ profile_id: string }>(compiled.text, compiled.values)).map((row) => row.profile_id).sort();
      const actual = (
        await query<{ profile_id: string }>(`SELECT profile_id FROM segment_memberships WHERE segment_id = $1`, [segmentIds.get(key)])
      )
        .map((row) => row.profile_id)
        .sort();
      expect({ key, members: actual }).toEqual({ key, members: expected });
      expect(expected.length).toBeGreaterThan(50);
    }
    // Nothing leaves within the test: every change is an entry, at most one per (profile, segment),
    // each with exactly one Segment Entered event.
    const doubled = await query(
      `SELECT segment_id, profile_id, count(*)::int AS n FROM segment_membership_changes GROUP BY 1, 2 HAVING count(*) > 1 OR bool_or(change <> 'added')`,
    );
    expect(doubled).toEqual([]);
    const entered = await query(
      `SELECT c.segment_id, c.profile_id, count(e.message_id)::int AS events
         FROM segment_membership_changes c
         LEFT JOIN events e ON e.name = 'Segment Entered' AND e.profile_id = c.profile_id AND e.properties->>'segment_id' = c.segment_id::text
        GROUP BY 1, 2 HAVING count(e.message_id) <> 1`,
    );
    expect(entered).toEqual([]);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE name = 'Segment Entered'`)).toBe(
      await count(`SELECT count(*)::int AS n FROM segment_memberships`),
    );

    second.child.kill('SIGTERM');
    expect((await second.exited()).code).toBe(0);
  }, 150_000);
});

function parse(messageId: string, userId: string, event: string, timestamp: Date): TrackingEvent {
  const parsed = parseTrackingMessage({ messageId, userId, event, properties: {}, timestamp: timestamp.toISOString() }, 'track', {
    receivedAt: new Date(),
    checkSize: true,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.event;
}
