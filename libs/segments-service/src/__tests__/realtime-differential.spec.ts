import { IngestionService, parseTrackingMessage, TrackingEvent, TrackingMessageType } from '@audiencekit/ingestion';
import { compileSegmentSql, parseSegmentDefinition, realtimeProblems, RulesDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, randomContext, randomMessageType, TestDatabase } from '@audiencekit/testing';
import { RealtimeEvaluator } from '../realtime/realtime-evaluator.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsService } from '../segments.service';
import { DAY, EVENT_NAMES, randomDefinition, randomTraits, SeededRandom } from './random-rules';

const SECOND = 1_000;
const HOUR = 3_600_000;
// Seeds 2, 5 and 12 draw definitions counting Segment Entered events (they fail without the lifecycle-event fix).
const ROUNDS = [20261207, 7, 2, 5, 12, 10];
const SEGMENTS_PER_ROUND = 7;
const OPERATIONS_PER_ROUND = 110;
const USERS = 16;

interface RealtimeSegmentUnderTest {
  id: string;
  key: string;
  definition: RulesDefinition;
}

/**
 * Real-time audiences against the SQL refresh, with a clock the test drives: random real-time
 * definitions (nested references to earlier real-time segments included) and a random stream of
 * tracks (out of order, in the past, near future), identifies with traits, merges, erasures and
 * clock advances (small, large, and landing exactly on a stored due instant) go through the real
 * ingestion service (erasure as libs/privacy writes it). At every checkpoint, after the evaluator drained, each segment's
 * membership equals what a full SQL refresh computes at the same instant (in reference order, on a
 * rolled-back copy of the memberships), the change history replays to the membership, and each
 * change has exactly one Segment Entered / Exited event.
 */
describe('real-time membership equals a SQL refresh at every checkpoint (differential, controllable clock)', () => {
  const totals = { checkpoints: 0, segmentChecks: 0, nonTrivial: 0, transitions: 0, contextGeoSegments: 0 };

  it.each(ROUNDS)(
    'round with seed %i',
    async (seed) => {
      const database = await createTestDatabase();
      try {
        const stats = await new Round(database, seed).run();
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += stats[key];
      } finally {
        await database.drop();
      }
    },
    60_000,
  );

  it('the rounds moved memberships and mostly split the profiles (an idle stream would prove nothing)', () => {
    expect(totals.transitions).toBeGreaterThan(300);
    expect(totals.nonTrivial).toBeGreaterThan(totals.segmentChecks / 4);
    // Segments reading message types, contexts or locations (what real time must load for them: type, context, located events).
    expect(totals.contextGeoSegments).toBeGreaterThan(6);
  });
});

class Round {
  private now = new Date('2026-06-15T12:00:00.000Z');
  private readonly random: SeededRandom;
  private readonly ingestion: IngestionService;
  private readonly segments: SegmentsService;
  private readonly evaluator: RealtimeEvaluator;
  private readonly created: RealtimeSegmentUnderTest[] = [];
  private readonly log: string[] = [];
  private sequence = 0;
  private checkpoints = 0;
  private nonTrivialChecks = 0;
  private transitionsSeen = 0;

  constructor(
    private readonly database: TestDatabase,
    private readonly seed: number,
  ) {
    this.random = new SeededRandom(seed);
    this.segments = new SegmentsService(database.dataSource, new SegmentDefinitionGate({ historyDays: undefined }));
    this.ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 } });
    this.evaluator = new RealtimeEvaluator(database.dataSource, { clock: () => this.now, batchSize: 7 });
  }

  async run(): Promise<{
    checkpoints: number;
    segmentChecks: number;
    nonTrivial: number;
    transitions: number;
    contextGeoSegments: number;
  }> {
    for (let index = 0; index < SEGMENTS_PER_ROUND; index++) await this.createSegment(index);
    await this.checkpoint();
    for (let step = 0; step < OPERATIONS_PER_ROUND; step++) {
      await this.operation();
      if (this.random.chance(0.2)) await this.checkpoint();
    }
    await this.checkpoint();
    return {
      checkpoints: this.checkpoints,
      segmentChecks: this.checkpoints * this.created.length,
      nonTrivial: this.nonTrivialChecks,
      transitions: this.transitionsSeen,
      contextGeoSegments: this.created.filter((segment) =>
        /"type":"location"|"messageType"|"context"|"near"/.test(JSON.stringify(segment.definition)),
      ).length,
    };
  }

  /** A random real-time definition; after the first, some refer to earlier real-time segments of this round. */
  private async createSegment(index: number): Promise<void> {
    const earlier = this.created.map((segment) => segment.key);
    for (;;) {
      const definition = randomDefinition(this.random, earlier.length ? earlier : ['(none)']);
      if (!earlier.length && JSON.stringify(definition).includes('"type":"segment"')) continue;
      if (realtimeProblems(parseSegmentDefinition(definition), {}).length) continue;
      const key = `rt-${index}`;
      const view = await this.segments.create(
        { key, name: key, owner: 'test', refreshCadence: 'realtime', definition } as never,
        'test',
        this.now,
      );
      this.created.push({ id: view.id, key, definition });
      return;
    }
  }

  private async operation(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.45) await this.track();
    else if (roll < 0.6) await this.identify();
    else if (roll < 0.68) await this.merge();
    else if (roll < 0.72) await this.erase();
    else await this.advance();
  }

  private user(): string {
    return `user-${this.random.int(0, USERS - 1)}`;
  }

  /** Identified or anonymous senders: anonymous profiles are what identify merges later. */
  private sender(): Record<string, string> {
    return this.random.chance(0.75) ? { userId: this.user() } : { anonymousId: `anon-${this.random.int(0, 7)}` };
  }

  /**
   * One call with 1–4 events, their timestamps in any order: now, the past (window edges too), the
   * near future. Message types (track, page, screen) and contexts come from the side stream.
   */
  private async track(): Promise<void> {
    const sender = this.sender();
    const events = Array.from({ length: this.random.int(1, 4) }, () => {
      const name = this.random.pick(EVENT_NAMES);
      const properties = this.properties();
      const timestamp = new Date(this.now.getTime() + this.offset()).toISOString();
      const type = randomMessageType(this.random.side, name);
      const context = randomContext(this.random.side);
      return this.message(type, {
        ...sender,
        ...(type === 'track' ? { event: name } : { name }),
        properties,
        timestamp,
        ...(context ? { context } : {}),
      });
    });
    this.log.push(`track ${JSON.stringify(sender)} ×${events.length}`);
    await this.ingestion.ingest(events);
  }

  private offset(): number {
    const kind = this.random.int(0, 5);
    if (kind === 0) return 0;
    if (kind === 1) return -this.random.int(1, 3 * HOUR);
    if (kind === 2) return -this.random.pick([1, 7, 14, 30, 90]) * DAY + this.random.pick([-1, 0, 1]);
    if (kind === 3) return -this.random.int(1, 200) * DAY;
    if (kind === 4) return this.random.int(1, 4 * 60 * SECOND); // near future (under the 5-minute skew limit)
    return -this.random.int(1, 60) * SECOND;
  }

  private properties(): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    if (this.random.chance(0.8)) properties.revenue = this.random.pick([0.1, 0.2, 1, 10, 99.99, 100, 250.5, -5, '15', null]);
    if (this.random.chance(0.6)) properties.category = this.random.pick(['shoes', 'shirts', 'golf clubs']);
    return properties;
  }

  private async identify(): Promise<void> {
    const userId = this.user();
    this.log.push(`identify ${userId}`);
    await this.ingestion.ingest([this.message('identify', { userId, traits: randomTraits(this.random) })]);
  }

  /**
   * Two profiles become one: an anonymous visitor logs in (identify with both ids), or an alias
   * names the id the user had before (an anonymous id, or another user id: the merge caps may refuse that).
   */
  private async merge(): Promise<void> {
    const userId = this.user();
    if (this.random.chance(0.5)) {
      const anonymousId = `anon-${this.random.int(0, 7)}`;
      this.log.push(`merge ${userId} ${anonymousId}`);
      await this.ingestion.ingest([this.message('identify', { userId, anonymousId, traits: {} })]);
      return;
    }
    const previousId = this.random.chance(0.7) ? `anon-${this.random.int(0, 7)}` : this.user();
    this.log.push(`alias ${userId} ← ${previousId}`);
    await this.ingestion.ingest([this.message('alias', { userId, previousId })]);
  }

  /**
   * Erasure of a person, as libs/privacy's `PrivacyDeletionService.erase` does it to what segments
   * read, in one transaction: the profile (and the profiles merged into it) locked, its events and
   * identities deleted, the row emptied to a tombstone, and the hand-off to real time. (This library
   * cannot import libs/privacy: privacy → activation-engine → segments-service would be a cycle.)
   */
  private async erase(): Promise<void> {
    const value = this.user();
    this.log.push(`erase ${value}`);
    await this.database.dataSource.transaction(async (manager) => {
      const rows: { id: string }[] = await manager.query(
        `WITH RECURSIVE owner AS (
           SELECT profile_id AS id FROM identities WHERE type = 'user_id' AND value = $1
           UNION SELECT p.id FROM profiles p JOIN owner o ON p.merged_into = o.id
         )
         SELECT p.id FROM profiles p JOIN owner o ON o.id = p.id ORDER BY p.id FOR UPDATE OF p`,
        [value],
      );
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return;
      await manager.query(`DELETE FROM events WHERE profile_id = ANY($1::uuid[])`, [ids]);
      await manager.query(`DELETE FROM identities WHERE profile_id = ANY($1::uuid[])`, [ids]);
      await manager.query(
        `UPDATE profiles SET traits = '{}', trait_timestamps = '{}', first_seen_at = NULL, last_seen_at = NULL,
                deleted_at = coalesce(deleted_at, now()), updated_at = now() WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      await manager.query(`INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[])`, [ids]);
    });
  }

  /** Small steps, large ones, and steps landing exactly on (or 1 ms before) the next stored due instant. */
  private async advance(): Promise<void> {
    const kind = this.random.int(0, 3);
    let to = this.now.getTime();
    if (kind === 0) to += this.random.int(1, 10 * 60 * SECOND);
    else if (kind === 1) to += this.random.pick([HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY + 1]) + this.random.int(0, HOUR);
    else {
      const [row] = await this.database.dataSource.query(
        `SELECT floor(extract(epoch FROM min(due_at)) * 1000)::float8 AS due FROM realtime_due WHERE due_at > $1`,
        [this.now],
      );
      to = row.due === null ? to + HOUR : row.due - (kind === 3 ? 1 : 0);
    }
    this.now = new Date(Math.max(to, this.now.getTime() + 1));
    this.log.push(`advance to ${this.now.toISOString()}`);
    // A due time that comes is applied at a checkpoint, like a worker catching up.
    if (this.random.chance(0.5)) await this.checkpoint();
  }

  private message(type: TrackingMessageType, body: Record<string, unknown>): TrackingEvent {
    this.sequence += 1;
    const parsed = parseTrackingMessage(
      { messageId: `diff-${this.seed}-${this.sequence}`, timestamp: this.now.toISOString(), ...body },
      type,
      { receivedAt: this.now, checkSize: true },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.event;
  }

  private async checkpoint(): Promise<void> {
    this.checkpoints += 1;
    await this.evaluator.drain();
    const actual = await this.memberships();
    const expected = await this.refreshedMemberships();
    const [{ profiles }] = await this.database.dataSource.query(
      `SELECT count(*)::int AS profiles FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL`,
    );
    for (const segment of this.created) {
      const want = expected.get(segment.id) ?? [];
      const got = actual.get(segment.id) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(
          `seed ${this.seed}, checkpoint ${this.checkpoints} at ${this.now.toISOString()}: ${segment.key} real time ${JSON.stringify(got)} ≠ refresh ${JSON.stringify(want)}\n` +
            `definitions: ${JSON.stringify(this.created.map((one) => [one.key, one.definition]))}\nlast operations: ${this.log.slice(-12).join('; ')}`,
        );
      }
      if (want.length > 0 && want.length < profiles) this.nonTrivialChecks += 1;
    }
    await this.expectHistoryReplays(actual);
    // Nothing stays overdue after a drain: every due time that came was applied.
    const [{ overdue }] = await this.database.dataSource.query(`SELECT count(*)::int AS overdue FROM realtime_due WHERE due_at <= $1`, [
      this.now,
    ]);
    expect(overdue).toBe(0);
  }

  private async memberships(): Promise<Map<string, string[]>> {
    const rows: { segment_id: string; profile_id: string }[] = await this.database.dataSource.query(
      `SELECT segment_id, profile_id FROM segment_memberships ORDER BY segment_id, profile_id`,
    );
    return group(rows);
  }

  /**
   * What a full SQL refresh of every segment, in reference order, computes at `now`: each segment's
   * compiled query, with the memberships of the segments it refers to replaced by their refreshed
   * ones first — on a transaction that is rolled back, so the real memberships are untouched.
   */
  private async refreshedMemberships(): Promise<Map<string, string[]>> {
    const runner = this.database.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const expected = new Map<string, string[]>();
      // Creation order is a reference order: a definition refers only to segments created before it.
      for (const segment of this.created) {
        const query = compileSegmentSql(parseSegmentDefinition(segment.definition), { now: this.now });
        const rows: { profile_id: string }[] = await runner.query(query.text, query.values);
        const members = [...new Set(rows.map((row) => row.profile_id))].sort();
        expected.set(segment.id, members);
        await runner.query(`DELETE FROM segment_memberships WHERE segment_id = $1`, [segment.id]);
        await runner.query(
          `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), NULL`,
          [segment.id, members],
        );
      }
      return expected;
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  /** The change history replays to the membership (no double entry or exit), and each change has exactly one lifecycle event. */
  private async expectHistoryReplays(actual: Map<string, string[]>): Promise<void> {
    const changes: { id: string; segment_id: string; profile_id: string; change: 'added' | 'removed' }[] =
      await this.database.dataSource.query(`SELECT id, segment_id, profile_id, change FROM segment_membership_changes ORDER BY id`);
    const replayed = new Map<string, Set<string>>();
    for (const change of changes) {
      const members = replayed.get(change.segment_id) ?? new Set<string>();
      replayed.set(change.segment_id, members);
      const wasMember = members.has(change.profile_id);
      if (wasMember === (change.change === 'added')) {
        throw new Error(
          `seed ${this.seed}: change ${change.id} ${change.change} ${change.profile_id} twice in a row in ${change.segment_id}`,
        );
      }
      if (change.change === 'added') members.add(change.profile_id);
      else members.delete(change.profile_id);
    }
    for (const segment of this.created) {
      expect([...(replayed.get(segment.id) ?? [])].sort()).toEqual(actual.get(segment.id) ?? []);
    }
    this.transitionsSeen = changes.length;
    // An erasure deletes the person's events, lifecycle events included; a merge moves the loser's to the winner.
    const [lifecycle] = await this.database.dataSource.query(
      `SELECT count(*) FILTER (WHERE n <> 1 AND live)::int AS live_not_once, count(*) FILTER (WHERE n > 1)::int AS more_than_once,
              count(*) FILTER (WHERE live AND NOT right_event)::int AS wrong_event
         FROM (SELECT c.id, (p.merged_into IS NULL AND p.deleted_at IS NULL) AS live, count(e.message_id) AS n,
                      coalesce(bool_and(e.profile_id = c.profile_id
                        AND e.name = CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END), true) AS right_event
                 FROM segment_membership_changes c JOIN profiles p ON p.id = c.profile_id
                 LEFT JOIN events e ON e.properties->>'change_id' = c.id::text
                GROUP BY c.id, p.merged_into, p.deleted_at) x`,
    );
    expect(lifecycle).toEqual({ live_not_once: 0, more_than_once: 0, wrong_event: 0 });
  }
}

function group(rows: { segment_id: string; profile_id: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.segment_id, [...(groups.get(row.segment_id) ?? []), row.profile_id]);
  return groups;
}
