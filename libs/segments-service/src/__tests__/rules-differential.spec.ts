import { compileSegmentSql, evaluateSegment, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { EVENT_NAMES, SeededRandom, randomDefinition, randomEvents, randomTraits } from './random-rules';

/**
 * One definition, two evaluators: for hundreds of random definitions over random profiles, the
 * members the compiled SQL returns from Postgres are exactly the profiles the in-memory evaluator
 * accepts. A disagreement prints the definition and the profile so it can be turned into a case.
 */
describe('SQL compiler and in-memory evaluator agree', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  const segmentKeys = ['alpha', 'beta'];
  let database: TestDatabase;
  const profiles: { id: string; traits: Record<string, unknown>; events: ReturnType<typeof randomEvents>; segments: Set<string> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const random = new SeededRandom(20261123);
    const segmentIds = new Map<string, string>();
    for (const key of segmentKeys) {
      const [row] = await database.dataSource.query(
        `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
        [key],
      );
      segmentIds.set(key, row.id);
    }
    const edgeCases = EDGE_CASE_PROFILES(now);
    for (let index = 0; index < 120 + edgeCases.length; index += 1) {
      const edge = edgeCases[index - 120];
      const traits = edge ? edge.traits : randomTraits(random);
      const events = edge ? edge.events : randomEvents(random, now);
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [traits]);
      const segments = new Set(edge ? [] : segmentKeys.filter(() => random.chance(0.4)));
      profiles.push({ id: row.id, traits, events, segments });
      for (const [position, event] of events.entries()) {
        await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
          [`${row.id}-${position}`, row.id, event.name, event.timestamp, event.properties],
        );
      }
      for (const key of segments) {
        await database.dataSource.query(
          `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), gen_random_uuid())`,
          [segmentIds.get(key), row.id],
        );
      }
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('the profiles used cover every event name and both segments', () => {
    const names = new Set(profiles.flatMap((profile) => profile.events.map((event) => event.name)));
    expect([...names].sort()).toEqual([...EVENT_NAMES].sort());
    expect(profiles.some((profile) => profile.segments.size === 2)).toBe(true);
  });

  async function membersBoth(raw: unknown): Promise<{ sql: Set<string>; memory: Set<string> }> {
    const definition = parseSegmentDefinition(raw);
    const query = compileSegmentSql(definition, { now });
    const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
    return {
      sql: new Set(rows.map((row) => row.profile_id)),
      memory: new Set(profiles.filter((profile) => evaluateSegment(definition, profile, { now })).map((profile) => profile.id)),
    };
  }

  // Hand-made edges a random generator rarely hits, with the answer worked out by hand.
  it.each([
    [
      'sums exactly in decimal: 0.1 + 0.2 is not above 0.3',
      {
        type: 'event',
        event: 'Order Completed',
        window: 'ever',
        aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 0.3 },
      },
      [],
    ],
    [
      'sums exactly in decimal: 0.1 + 0.2 equals 0.3',
      {
        type: 'event',
        event: 'Order Completed',
        window: 'ever',
        aggregate: { function: 'sum', property: 'revenue', operator: 'between', value: [0.3, 0.3] },
      },
      ['decimal'],
    ],
    [
      'averages without division: avg(0.1, 0.2) is 0.15',
      {
        type: 'event',
        event: 'Order Completed',
        window: 'ever',
        aggregate: { function: 'avg', property: 'revenue', operator: 'gte', value: 0.15 },
      },
      ['decimal'],
    ],
    ['an event at exactly now is inside "last 1 days"', { type: 'event', event: 'Product Added', window: 'last 1 days' }, ['boundaries']],
    ['an event exactly 7 days ago is outside "last 7 days"', { type: 'event', event: 'Page Viewed', window: 'last 7 days' }, []],
    ['an impossible date is not a date', { type: 'trait', trait: 'signup', operator: 'lt', value: '2030-01-01' }, ['boundaries']],
    ['a numeric string is not a number', { type: 'trait', trait: 'score', operator: 'gt', value: 1 }, ['decimal']],
  ])('%s', async (_title, match, expectedLabels) => {
    const { sql, memory } = await membersBoth({ type: 'rules', match });
    const edgeIds = new Map(profiles.slice(120).map((profile, index) => [profile.id, EDGE_CASE_PROFILES(now)[index].label]));
    const labelsOf = (members: Set<string>) =>
      [...members]
        .filter((id) => edgeIds.has(id))
        .map((id) => edgeIds.get(id))
        .sort();
    expect(labelsOf(sql)).toEqual(expectedLabels);
    expect(labelsOf(memory)).toEqual(expectedLabels);
  });

  it('returns the same members for 400 random definitions', async () => {
    const random = new SeededRandom(7);
    let nonTrivial = 0;
    for (let round = 0; round < 400; round += 1) {
      const definition = parseSegmentDefinition(randomDefinition(random, segmentKeys));
      const query = compileSegmentSql(definition, { now });
      const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
      const fromSql = new Set(rows.map((row) => row.profile_id));
      const fromMemory = new Set(profiles.filter((profile) => evaluateSegment(definition, profile, { now })).map((profile) => profile.id));
      const disagreement = profiles.find((profile) => fromSql.has(profile.id) !== fromMemory.has(profile.id));
      if (disagreement) {
        throw new Error(
          `evaluators disagree (sql: ${fromSql.has(disagreement.id)}) on\n${JSON.stringify(definition)}\nfor profile\n${JSON.stringify(disagreement)}`,
        );
      }
      if (fromSql.size > 0 && fromSql.size < profiles.length) nonTrivial += 1;
    }
    // Most definitions split the population; a generator that only produced all-or-nothing
    // definitions would make the agreement meaningless.
    expect(nonTrivial).toBeGreaterThan(150);
  }, 60_000);
});

/** Profiles whose membership under the hand-made definitions above is known exactly. */
function EDGE_CASE_PROFILES(now: Date) {
  const at = (milliseconds: number) => new Date(now.getTime() - milliseconds);
  return [
    {
      label: 'decimal',
      traits: { signup: '2026-02-30', score: 1e21 },
      events: [
        { name: 'Order Completed', timestamp: at(3 * 86_400_000), properties: { revenue: 0.1 } },
        { name: 'Order Completed', timestamp: at(4 * 86_400_000), properties: { revenue: 0.2 } },
      ],
    },
    {
      label: 'boundaries',
      traits: { signup: '2026-02-28', score: '42' },
      events: [
        { name: 'Product Added', timestamp: at(0), properties: {} },
        { name: 'Page Viewed', timestamp: at(7 * 86_400_000), properties: {} },
      ],
    },
  ];
}
