import { compileSegmentSql, evaluateSegment, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * Every rules operator on a small, hand-made population, with the members worked out by hand.
 * The differential test proves the two evaluators agree; this one proves they are right: each
 * case runs the compiled SQL on Postgres AND the in-memory evaluator and expects the same names.
 */
const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

interface FixtureProfile {
  traits: Record<string, unknown>;
  events: { name: string; timestamp: Date; properties?: Record<string, unknown> }[];
  segments: string[];
}

const PEOPLE: Record<string, FixtureProfile> = {
  ann: {
    traits: {
      age: 30,
      country: 'DE',
      plan: 'pro',
      tags: ['golf', 'wine'],
      signup: '2025-01-10',
      email: 'ann@example.com',
      address: { city: 'Berlin' },
    },
    events: [
      { name: 'Order Completed', timestamp: ago(2), properties: { revenue: 600 } },
      { name: 'Order Completed', timestamp: ago(20), properties: { revenue: 500 } },
      { name: 'Product Added', timestamp: ago(1), properties: { category: 'shoes' } },
      { name: 'Page Viewed', timestamp: new Date('2026-01-15T08:00:00Z') },
    ],
    segments: ['pro-users'],
  },
  ben: {
    traits: { age: 17, country: 'FR', plan: 'free', tags: ['tennis'], signup: '2026-03-01T10:00:00Z', address: { city: 'Paris' } },
    events: [
      { name: 'Product Added', timestamp: ago(3), properties: { category: 'shirts' } },
      { name: 'Product Added', timestamp: ago(4), properties: { category: 'shirts' } },
      { name: 'Product Added', timestamp: ago(5), properties: { category: 'shirts' } },
      { name: 'Order Completed', timestamp: ago(200), properties: { revenue: 40 } },
    ],
    segments: [],
  },
  cat: {
    traits: { age: 65, country: 'US', plan: null, signup: 'yesterday', email: 'cat@example.org' },
    // Lifecycle events of audiencekit itself never count as customer activity.
    events: [{ name: 'Segment Entered', timestamp: ago(1), properties: { segment_key: 'x' } }],
    segments: [],
  },
  dan: {
    traits: { country: 'de', score: '42', plan: 'pro-plus' },
    events: [
      { name: 'Page Viewed', timestamp: ago(40) },
      { name: 'Page Viewed', timestamp: ago(10) },
    ],
    segments: ['pro-users'],
  },
};

const trait = (name: string, operator: string, value?: unknown) => ({
  type: 'trait',
  trait: name,
  operator,
  ...(value === undefined ? {} : { value }),
});

const CASES: [string, unknown, string[]][] = [
  // Trait operators.
  ['equals', trait('country', 'equals', 'DE'), ['ann']],
  ['equals is case-sensitive and typed', trait('score', 'equals', 42), []],
  ['not equals (a missing trait is not equal)', trait('country', 'not_equals', 'DE'), ['ben', 'cat', 'dan']],
  ['in', trait('country', 'in', ['DE', 'FR']), ['ann', 'ben']],
  ['not in', trait('country', 'not_in', ['DE', 'FR']), ['cat', 'dan']],
  ['contains, on a string', trait('plan', 'contains', 'pro'), ['ann', 'dan']],
  ['contains, on an array', trait('tags', 'contains', 'golf'), ['ann']],
  ['starts with', trait('email', 'starts_with', 'cat'), ['cat']],
  ['greater than a number', trait('age', 'gt', 18), ['ann', 'cat']],
  ['at least a number', trait('age', 'gte', 30), ['ann', 'cat']],
  ['less than a number', trait('age', 'lt', 30), ['ben']],
  ['at most a number', trait('age', 'lte', 30), ['ann', 'ben']],
  ['between numbers, both ends included', trait('age', 'between', [17, 30]), ['ann', 'ben']],
  ['after a date (a non-date string never matches)', trait('signup', 'gt', '2025-06-01'), ['ben']],
  ['before a date', trait('signup', 'lt', '2026-01-01'), ['ann']],
  ['between dates', trait('signup', 'between', ['2025-01-01', '2025-12-31']), ['ann']],
  ['exists (null is absent)', trait('plan', 'exists'), ['ann', 'ben', 'dan']],
  ['not exists', trait('plan', 'not_exists'), ['cat']],
  ['exists on a nested path', trait('address.city', 'exists'), ['ann', 'ben']],
  ['equals on a nested path', trait('address.city', 'equals', 'Paris'), ['ben']],
  // Behaviour: counts, sums and averages in windows.
  [
    'performed at least 3 times in the last 7 days',
    { type: 'event', event: 'Product Added', window: 'last 7 days', count: { operator: 'at_least', value: 3 } },
    ['ben'],
  ],
  [
    'performed at most once in the last 7 days',
    { type: 'event', event: 'Product Added', window: 'last 7 days', count: { operator: 'at_most', value: 1 } },
    ['ann', 'cat', 'dan'],
  ],
  [
    'performed exactly once in the last 7 days',
    { type: 'event', event: 'Product Added', window: 'last 7 days', count: { operator: 'exactly', value: 1 } },
    ['ann'],
  ],
  [
    'performed, filtered on a property',
    { type: 'event', event: 'Product Added', window: 'last 7 days', where: [{ property: 'category', operator: 'equals', value: 'shoes' }] },
    ['ann'],
  ],
  [
    'revenue summed over 1,000 in the last 30 days',
    {
      type: 'event',
      event: 'Order Completed',
      window: 'last 30 days',
      aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 1000 },
    },
    ['ann'],
  ],
  [
    'summed revenue in a shorter window',
    {
      type: 'event',
      event: 'Order Completed',
      window: 'last 7 days',
      aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 1000 },
    },
    [],
  ],
  [
    'average revenue of at least 550 (inclusive)',
    {
      type: 'event',
      event: 'Order Completed',
      window: 'ever',
      aggregate: { function: 'avg', property: 'revenue', operator: 'gte', value: 550 },
    },
    ['ann'],
  ],
  [
    'average revenue above 550',
    {
      type: 'event',
      event: 'Order Completed',
      window: 'ever',
      aggregate: { function: 'avg', property: 'revenue', operator: 'gt', value: 550 },
    },
    [],
  ],
  ['performed between two dates', { type: 'event', event: 'Page Viewed', window: 'between 2026-01-01 and 2026-02-01' }, ['ann']],
  [
    'did not perform (ever)',
    { type: 'event', event: 'Order Completed', window: 'ever', count: { operator: 'exactly', value: 0 } },
    ['cat', 'dan'],
  ],
  [
    'did not perform in a window',
    { type: 'not', condition: { type: 'event', event: 'Product Added', window: 'last 7 days' } },
    ['cat', 'dan'],
  ],
  // Recency and frequency shortcuts.
  ['more than 100 days since the last order', { type: 'recency', event: 'Order Completed', operator: 'gt', days: 100 }, ['ben']],
  ['less than 7 days since the last order', { type: 'recency', event: 'Order Completed', operator: 'lt', days: 7 }, ['ann']],
  ['any customer event in the last 5 days (lifecycle events ignored)', { type: 'recency', operator: 'lte', days: 5 }, ['ann', 'ben']],
  [
    'between 5 and 15 days since the last page view',
    { type: 'recency', event: 'Page Viewed', operator: 'between', days: [5, 15] },
    ['dan'],
  ],
  [
    'at least 2 customer events in the last 30 days',
    { type: 'frequency', window: 'last 30 days', operator: 'at_least', value: 2 },
    ['ann', 'ben'],
  ],
  ['exactly 2 page views ever', { type: 'frequency', event: 'Page Viewed', window: 'ever', operator: 'exactly', value: 2 }, ['dan']],
  // Membership of another segment, and nesting.
  ['member of another segment', { type: 'segment', segment: 'pro-users' }, ['ann', 'dan']],
  ['not a member of another segment', { type: 'not', condition: { type: 'segment', segment: 'pro-users' } }, ['ben', 'cat']],
  [
    'nested all / any / not',
    {
      type: 'all',
      conditions: [
        { type: 'any', conditions: [trait('country', 'equals', 'DE'), trait('country', 'equals', 'de')] },
        { type: 'not', condition: { type: 'event', event: 'Order Completed', window: 'ever', count: { operator: 'exactly', value: 0 } } },
      ],
    },
    ['ann'],
  ],
];

describe('rules operators, worked out by hand, in SQL and in memory', () => {
  let database: TestDatabase;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    const [segment] = await database.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('pro-users', 'Pro users', 'test', 'manual', 1) RETURNING id`,
    );
    for (const [name, person] of Object.entries(PEOPLE)) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [person.traits]);
      ids.set(name, row.id);
      for (const [index, event] of person.events.entries()) {
        await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
          [`${name}-${index}`, row.id, event.name, event.timestamp, event.properties ?? {}],
        );
      }
      if (person.segments.includes('pro-users')) {
        await database.dataSource.query(
          `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), gen_random_uuid())`,
          [segment.id, row.id],
        );
      }
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  it.each(CASES)('%s', async (_title, match, expected) => {
    const definition = parseSegmentDefinition({ type: 'rules', match });
    const query = compileSegmentSql(definition, { now: NOW });
    const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
    const nameOf = new Map([...ids].map(([name, id]) => [id, name]));
    expect(rows.map((row) => nameOf.get(row.profile_id)).sort()).toEqual(expected);
    const inMemory = Object.entries(PEOPLE)
      .filter(([, person]) => evaluateSegment(definition, { ...person, segments: new Set(person.segments) }, { now: NOW }))
      .map(([name]) => name);
    expect(inMemory.sort()).toEqual(expected);
  });
});
