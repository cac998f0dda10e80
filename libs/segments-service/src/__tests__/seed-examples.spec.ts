import { compileSegmentSql, EXAMPLE_SEGMENTS, evaluateSegment, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * The seeds' three examples (cart abandoner, VIP, win-back candidate) on Postgres through the
 * compiled SQL, and in memory, over one population with the members worked out by hand; then the
 * compiler is attacked with hostile names and values on the same real database, in every string
 * field of the language: traits, event names, property, context paths and values, location criteria,
 * sequence steps, first time, stopped, regularly, and computed-trait values.
 */
const NOW = new Date('2026-06-15T12:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const order = (days: number, revenue?: number) => ({
  name: 'Order Completed',
  timestamp: ago(days),
  properties: revenue === undefined ? {} : { revenue },
});
const added = (days: number) => ({ name: 'Product Added', timestamp: ago(days), properties: {} });

const PEOPLE: Record<string, { name: string; timestamp: Date; properties: Record<string, unknown> }[]> = {
  addedNoOrder: [added(2)],
  addedThenBought: [added(2), order(1)],
  addedTooLongAgo: [added(8)],
  addedAfterOldOrder: [added(3), order(10)],
  vipRecent: [order(400, 900), order(10, 200)],
  vipLapsed: [order(400, 900), order(100, 200)],
  exactlyThreshold: [order(10, 1000)],
  justAbove: [order(5, 1000.01)],
  lapsed200: [order(200)],
  boughtAgain179: [order(200), order(179)],
  lapsedExactly180: [order(180)],
  nothing: [],
};

const EXPECTED: Record<keyof typeof EXAMPLE_SEGMENTS, string[]> = {
  cartAbandoner: ['addedAfterOldOrder', 'addedNoOrder'],
  vip: ['justAbove', 'vipRecent'],
  winBack: ['lapsed200', 'lapsedExactly180'],
};

describe('the seed examples, on Postgres and in memory', () => {
  let database: TestDatabase;
  const nameOf = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const [name, events] of Object.entries(PEOPLE)) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ label: name }]);
      nameOf.set(row.id, name);
      for (const [index, event] of events.entries()) {
        await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
          [`${name}-${index}`, row.id, event.name, event.timestamp, event.properties],
        );
      }
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  it.each(Object.keys(EXPECTED) as (keyof typeof EXAMPLE_SEGMENTS)[])('%s', async (example) => {
    const definition = parseSegmentDefinition(EXAMPLE_SEGMENTS[example].definition);
    const query = compileSegmentSql(definition, { now: NOW });
    const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
    expect(rows.map((row) => nameOf.get(row.profile_id)).sort()).toEqual(EXPECTED[example]);
    const inMemory = Object.entries(PEOPLE).filter(([, events]) => evaluateSegment(definition, { traits: {}, events }, { now: NOW }));
    expect(inMemory.map(([name]) => name).sort()).toEqual(EXPECTED[example]);
  });

  describe('injection', () => {
    const HOSTILE = [
      "x'); DROP TABLE profiles; --",
      "' OR '1'='1",
      '$$; DROP TABLE events; $$',
      "\\'; DELETE FROM events; --",
      '"; TRUNCATE segments; --',
      "') OR true) --",
      '50%_off\\',
    ];

    it.each(HOSTILE)('binds %j as data: it matches only itself and harms nothing', async (hostile) => {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ [hostile]: hostile }]);
      await database.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
        [`hostile-${row.id}`, row.id, hostile, ago(1), { [hostile]: hostile }],
      );
      // A page view whose context carries the string in every field the context and location conditions read.
      const context = {
        [hostile]: hostile,
        page: { path: hostile, url: `https://shop.example/${hostile}`, referrer: hostile },
        campaign: { source: hostile, name: hostile },
        device: { type: hostile },
        locale: hostile,
        timezone: hostile,
        location: { country: hostile, region: hostile, city: hostile, postalCode: hostile, latitude: 52.52, longitude: 13.405 },
      };
      await database.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties, context) VALUES ($1, $2, 'page', $3, $4, '{}', $5)`,
        [`hostile-page-${row.id}`, row.id, hostile, ago(2), context],
      );
      // A computed (or SQL) trait's stored value carrying the string.
      await database.dataSource.query(
        `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
         VALUES ($1, 'hostile_value', $2, 'computed', gen_random_uuid(), 1, now())`,
        [row.id, JSON.stringify(hostile)],
      );
      const [before] = await database.dataSource.query(
        `SELECT (SELECT count(*) FROM profiles)::int AS profiles, (SELECT count(*) FROM events)::int AS events`,
      );
      const definitions = [
        { type: 'trait', trait: hostile, operator: 'equals', value: hostile },
        { type: 'trait', trait: 'label', operator: 'in', value: [hostile, 'nothing'] },
        { type: 'event', event: hostile, window: 'last 7 days', where: [{ property: hostile, operator: 'starts_with', value: hostile }] },
        { type: 'event', event: hostile, window: 'ever', aggregate: { function: 'sum', property: hostile, operator: 'gt', value: 0 } },
        {
          type: 'any',
          conditions: [
            { type: 'segment', segment: hostile },
            { type: 'trait', trait: hostile, operator: 'contains', value: hostile },
          ],
        },
        // Event context and geography (issue 20): context paths and values, message type, location criteria.
        { type: 'event', messageType: 'page', window: 'last 7 days', where: [{ context: hostile, operator: 'equals', value: hostile }] },
        {
          type: 'event',
          event: hostile,
          messageType: 'page',
          window: 'ever',
          where: [
            { context: 'page.path', operator: 'starts_with', value: hostile },
            { context: 'page.url', operator: 'contains', value: hostile },
            { context: 'page.referrer', operator: 'equals', value: hostile },
            { context: 'campaign.source', operator: 'in', value: [hostile, 'newsletter'] },
            { context: 'campaign.name', operator: 'not_in', value: ['spring'] },
            { context: 'device.type', operator: 'equals', value: hostile },
            { context: 'locale', operator: 'starts_with', value: hostile },
            { context: 'timezone', operator: 'equals', value: hostile },
            { near: { latitude: 52.52, longitude: 13.405, km: 1 } },
          ],
        },
        { type: 'location', country: [hostile], region: [hostile, 'BE'], city: [hostile], postalCode: [hostile], window: 'last 7 days' },
        // A prefix of the string (quotes, LIKE wildcards and a backslash in it) matches only the profile carrying it.
        { type: 'location', postalCode: [hostile.slice(0, 3)] },
        {
          type: 'event',
          messageType: 'page',
          window: 'ever',
          where: [{ context: 'page.url', operator: 'contains', value: hostile.slice(2) }],
        },
        // Sequences and lifecycle (issue 20): step events and filters, first time, stopped, regularly.
        {
          type: 'sequence',
          steps: [{ event: hostile }, { event: hostile, where: [{ property: hostile, operator: 'equals', value: hostile }] }],
          within: '7d',
          window: 'last 7 days',
        },
        { type: 'first_time', event: hostile, where: [{ property: hostile, operator: 'contains', value: hostile }], window: 'last 7 days' },
        {
          type: 'stopped',
          event: hostile,
          where: [{ property: hostile, operator: 'equals', value: hostile }],
          active: '60d',
          quiet: '30d',
        },
        { type: 'regularly', event: hostile, window: 'last 7 days', per: 'day', atLeast: 2 },
        // Computed traits (issue 20): the stored value compared with the string.
        { type: 'computed_trait', key: 'hostile_value', operator: 'equals', value: hostile },
        { type: 'computed_trait', key: 'hostile_value', operator: 'in', value: [hostile, 'nothing'] },
      ];
      const results: string[][] = [];
      for (const match of definitions) {
        const query = compileSegmentSql(parseSegmentDefinition({ type: 'rules', match }), { now: NOW });
        expect(query.text).not.toContain(hostile);
        const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
        results.push(rows.map((member) => member.profile_id));
      }
      // The hostile string is compared as a value: the profile carrying it matches, nobody else does
      // (label "nothing" matches the fixture profile with that label; the sum of a string is no number).
      const nothing = [...nameOf].find(([, name]) => name === 'nothing')?.[0];
      expect(results).toEqual([
        [row.id],
        [nothing],
        [row.id],
        [],
        [row.id],
        [row.id],
        [row.id],
        [row.id],
        [row.id],
        [row.id],
        // sequence, first time, stopped (recent events: not stopped), regularly (2 distinct days)
        [row.id],
        [row.id],
        [],
        [row.id],
        // computed trait equals / in
        [row.id],
        [row.id],
      ]);
      // The in-memory evaluator agrees on the profile carrying the string.
      const events = await database.dataSource.query(
        `SELECT name, type, timestamp, properties, context FROM events WHERE profile_id = $1`,
        [row.id],
      );
      const inMemory = definitions.map((match) =>
        evaluateSegment(
          parseSegmentDefinition({ type: 'rules', match }),
          { traits: { [hostile]: hostile }, events, computedTraits: { hostile_value: hostile } },
          { now: NOW },
        ),
      );
      expect(inMemory).toEqual(results.map((members) => members.includes(row.id)));
      const [after] = await database.dataSource.query(
        `SELECT (SELECT count(*) FROM profiles)::int AS profiles, (SELECT count(*) FROM events)::int AS events`,
      );
      expect(after).toEqual(before);
      await database.dataSource.query(`SELECT count(*) FROM segments`);
    });
  });
});
