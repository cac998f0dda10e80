import { compileSegmentSql, evaluateSegment, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { EVENT_NAMES, RandomEvent, SeededRandom, randomDefinition, randomEvents, randomTraits } from './random-rules';

type TestEvent = Omit<RandomEvent, 'type'> & { type?: string };

/**
 * One definition, two evaluators: for hundreds of random definitions over random profiles, the
 * members the compiled SQL returns from Postgres are exactly the profiles the in-memory evaluator
 * accepts. A disagreement prints the definition and the profile so it can be turned into a case.
 */
describe('SQL compiler and in-memory evaluator agree', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  const segmentKeys = ['alpha', 'beta'];
  let database: TestDatabase;
  const profiles: { id: string; traits: Record<string, unknown>; events: TestEvent[]; segments: Set<string> }[] = [];

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
      const events: TestEvent[] = (edge ? (edge.events as TestEvent[]) : randomEvents(random, now)).map((event) => ({
        ...event,
        type: event.type ?? 'track',
      }));
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [traits]);
      const segments = new Set(edge ? [] : segmentKeys.filter(() => random.chance(0.4)));
      profiles.push({ id: row.id, traits, events, segments });
      for (const [position, event] of events.entries()) {
        await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties, context) VALUES ($1, $2, $6, $3, $4, $5, $7)`,
          [`${row.id}-${position}`, row.id, event.name, event.timestamp, event.properties, event.type, event.context ?? null],
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
    const names = new Set(profiles.slice(0, 120).flatMap((profile) => profile.events.map((event) => event.name)));
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
    [
      'viewed a /pricing page in 7 days (message type, no event name, context prefix)',
      {
        type: 'event',
        messageType: 'page',
        window: 'last 7 days',
        where: [{ context: 'page.path', operator: 'starts_with', value: '/pricing' }],
      },
      ['geo'],
    ],
    [
      'a message type: tracks named Pricing, not the page view named Pricing',
      { type: 'event', event: 'Pricing', messageType: 'track', window: 'ever' },
      ['geo-tie'],
    ],
    [
      'an event within 30 km of Berlin',
      { type: 'event', event: 'Pricing', window: 'ever', where: [{ near: { latitude: 52.52, longitude: 13.405, km: 30 } }] },
      ['geo'],
    ],
    [
      'last known country: a country-only location counts; a tie matches if one of the tied does',
      { type: 'location', country: ['DE'] },
      ['geo', 'geo-tie'],
    ],
    ['last known city: a country-only location supersedes an older city', { type: 'location', city: ['Berlin'] }, ['geo-tie']],
    ['last known location within 10 km of Berlin', { type: 'location', near: { latitude: 52.52, longitude: 13.405, km: 10 } }, ['geo-tie']],
    ['last known postal code prefix', { type: 'location', postalCode: ['750', '99'] }, ['geo-tie']],
    ['last known location within a window', { type: 'location', country: ['DE'], window: 'last 2 days' }, ['geo']],
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
    let contextGeo = 0;
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
      if (fromSql.size > 0 && fromSql.size < profiles.length) {
        nonTrivial += 1;
        if (/"type":"location"|"messageType"|"context"|"near"/.test(JSON.stringify(definition))) contextGeo += 1;
      }
    }
    // Definitions with a message type, a context or near filter or a location condition that split the population.
    expect(contextGeo).toBeGreaterThan(30);
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
    {
      label: 'geo',
      traits: {},
      events: [
        {
          name: 'Pricing',
          type: 'page',
          timestamp: at(2 * 86_400_000),
          properties: {},
          context: { page: { path: '/pricing/team' }, location: { country: 'DE', city: 'Berlin', latitude: 52.52, longitude: 13.405 } },
        },
        { name: 'Order Completed', timestamp: at(86_400_000), properties: {}, context: { location: { country: 'DE' } } },
        { name: 'Order Completed', timestamp: at(3_600_000), properties: {}, context: { location: {} } },
      ],
    },
    {
      label: 'geo-tie',
      traits: {},
      events: [
        {
          name: 'Pricing',
          timestamp: at(3 * 86_400_000),
          properties: {},
          context: { page: { path: '/Pricing' }, location: { city: 'Munich' } },
        },
        {
          name: 'Pricing',
          timestamp: at(3 * 86_400_000),
          properties: {},
          context: { location: { country: 'FR', city: 'Paris', postalCode: '75001' } },
        },
        {
          name: 'Order Completed',
          timestamp: at(3 * 86_400_000),
          properties: {},
          context: { location: { country: 'DE', city: 'Berlin', latitude: 52.5, longitude: 13.4 } },
        },
      ],
    },
  ];
}
