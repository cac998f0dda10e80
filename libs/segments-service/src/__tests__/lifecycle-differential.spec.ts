import { compileSegmentSql, evaluateSegment, LIFECYCLE_EXAMPLES, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { DAY, EVENT_NAMES, SeededRandom, randomLifecycle } from './random-rules';

/**
 * Sequences and lifecycle conditions (issue 20), compiled SQL against the in-memory evaluator, on
 * profiles built to hit their edges: events clustered in days and weeks (so sequences, regular
 * visits and lapses happen), ties (two events at the same instant), events exactly on window,
 * `within`, quiet and active bounds, on Sunday 23:59:59.999 / Monday 00:00 UTC, and in the future.
 * The random-rules generator also mixes these nodes into the main differential suite.
 */
describe('lifecycle conditions: SQL and in-memory evaluation agree', () => {
  // A Wednesday, noon UTC.
  const now = new Date('2026-06-17T12:00:00.000Z');
  const HOUR = 3_600_000;
  let database: TestDatabase;
  const profiles: {
    id: string;
    traits: Record<string, unknown>;
    events: { name: string; timestamp: Date; properties: Record<string, unknown> }[];
  }[] = [];

  function clusteredEvents(random: SeededRandom): (typeof profiles)[number]['events'] {
    const events: (typeof profiles)[number]['events'] = [];
    const base = now.getTime() - random.int(0, 100) * DAY;
    for (let index = 0; index < random.int(0, 14); index += 1) {
      const kind = random.int(0, 9);
      let timestamp: number;
      if (kind === 0 && events.length > 0)
        timestamp = random.pick(events).timestamp.getTime(); // a tie
      else if (kind === 1)
        timestamp = now.getTime() - random.pick([1, 7, 12, 28, 30, 60, 90]) * DAY; // on a window / duration bound
      else if (kind === 2)
        timestamp = Date.parse('2026-06-15T00:00:00.000Z') - random.pick([0, 1, 7 * DAY, 7 * DAY + 1]); // Monday edges
      else if (kind === 3)
        timestamp = now.getTime() + random.int(1, 48) * HOUR; // future-dated
      else timestamp = base + random.int(-10 * DAY, 10 * DAY);
      const properties: Record<string, unknown> = {};
      if (random.chance(0.7)) properties.revenue = random.pick([0.1, 0.2, 10, 99.99, 1000, '15', null]);
      if (random.chance(0.6)) properties.category = random.pick(['shoes', 'shirts', 'golf clubs']);
      events.push({ name: random.pick(EVENT_NAMES), timestamp: new Date(Math.min(timestamp, now.getTime() + 60 * DAY)), properties });
    }
    return events;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const random = new SeededRandom(2026_0620);
    for (let index = 0; index < 150; index += 1) {
      const events = clusteredEvents(random);
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      profiles.push({ id: row.id, traits: {}, events });
      for (const [position, event] of events.entries()) {
        await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
          [`${row.id}-${position}`, row.id, event.name, event.timestamp, event.properties],
        );
      }
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  async function disagreement(raw: unknown): Promise<{ members: number; problem?: string }> {
    const definition = parseSegmentDefinition(raw);
    const query = compileSegmentSql(definition, { now });
    const rows: { profile_id: string }[] = await database.dataSource.query(query.text, query.values);
    const fromSql = new Set(rows.map((row) => row.profile_id));
    const fromMemory = new Set(profiles.filter((profile) => evaluateSegment(definition, profile, { now })).map((profile) => profile.id));
    const profile = profiles.find((candidate) => fromSql.has(candidate.id) !== fromMemory.has(candidate.id));
    return {
      members: fromMemory.size,
      problem: profile && `sql says ${fromSql.has(profile.id)} on ${JSON.stringify(raw)} for ${JSON.stringify(profile.events)}`,
    };
  }

  it.each(Object.entries(LIFECYCLE_EXAMPLES))('the example %s', async (_name, example) => {
    expect((await disagreement(example.definition)).problem).toBeUndefined();
  });

  it('300 random lifecycle definitions, alone, negated and combined', async () => {
    const random = new SeededRandom(20);
    const problems: string[] = [];
    let nonTrivial = 0;
    const biting = new Set<string>();
    for (let round = 0; round < 300; round += 1) {
      const leaf = randomLifecycle(random);
      const match =
        round % 3 === 0
          ? leaf
          : round % 3 === 1
            ? { type: 'not', condition: leaf }
            : { type: random.chance(0.5) ? 'all' : 'any', conditions: [leaf, randomLifecycle(random)] };
      const { members, problem } = await disagreement({ type: 'rules', match });
      if (problem) problems.push(problem);
      if (members > 0 && members < profiles.length) {
        nonTrivial += 1;
        if (match === leaf) biting.add(leaf.type);
      }
    }
    expect(problems).toEqual([]);
    // The profiles must make the conditions bite, or agreement proves little.
    expect(nonTrivial).toBeGreaterThan(100);
    expect([...biting].sort()).toEqual(['first_time', 'regularly', 'sequence', 'stopped']);
  }, 120_000);
});
