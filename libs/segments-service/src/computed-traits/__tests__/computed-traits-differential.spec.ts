import {
  compileComputedTraitRefresh,
  compileComputedTraitSelect,
  computeTraitValue,
  ComputedTraitDefinition,
  parseComputedTraitDefinition,
  TRAIT_FUNCTIONS,
  TraitEvent,
} from '@audiencekit/segments-domain';
import { createTestDatabase, mulberry32, TestDatabase } from '@audiencekit/testing';

const DAY = 86_400_000;
const NAMES = ['Order Completed', 'Page Viewed', 'Product Added'];
/** Values where SQL and JavaScript could disagree: binary-unfriendly sums, numeric strings, nulls, objects, 1 vs "1", booleans, huge numbers. */
const VALUES: unknown[] = [
  0.1,
  0.2,
  0.3,
  0.30000000000000004,
  1,
  1,
  2.5,
  -5,
  10,
  99.99,
  1e21,
  1 / 3,
  '1',
  'shoes',
  'shirts',
  'shoes',
  true,
  false,
  null,
  { a: 1 },
  [1, 2],
];
const WINDOWS = [
  'last 1 days',
  'last 7 days',
  'last 30 days',
  'last 12 hours',
  'ever',
  'between 2026-05-01 and 2026-06-01',
  'last 2 weeks',
];
const FILTERS = [
  { property: 'category', operator: 'equals', value: 'shoes' },
  { property: 'category', operator: 'not_equals', value: 'shoes' },
  { property: 'revenue', operator: 'gt', value: 1 },
  { property: 'revenue', operator: 'exists' },
  { property: 'meta.source', operator: 'in', value: ['ads', 'mail'] },
];

class Draw {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

function randomEvents(draw: Draw, now: Date): { name: string; timestamp: Date; properties: Record<string, unknown> }[] {
  return Array.from({ length: draw.int(0, 14) }, () => {
    // Ties on purpose: a few fixed instants (window edges included), so first/last/most_frequent meet equal timestamps.
    const ago = draw.chance(0.4) ? draw.pick([0, 1, 7, 14, 30]) * DAY : draw.int(0, 60) * DAY + draw.int(0, 3) * 3_600_000;
    const properties: Record<string, unknown> = {};
    if (draw.chance(0.85)) properties.revenue = draw.pick(VALUES);
    if (draw.chance(0.6)) properties.category = draw.pick(['shoes', 'shirts', 'golf', 1, true]);
    if (draw.chance(0.3)) properties.meta = { source: draw.pick(['ads', 'mail', 'web', null]) };
    return { name: draw.pick(NAMES), timestamp: new Date(now.getTime() - ago), properties };
  });
}

function randomDefinition(draw: Draw): ComputedTraitDefinition {
  const fn = draw.pick(TRAIT_FUNCTIONS);
  const raw: Record<string, unknown> = { function: fn, event: draw.pick(NAMES), window: draw.pick(WINDOWS) };
  if (fn !== 'count' || draw.chance(0.5)) raw.property = draw.pick(['revenue', 'revenue', 'category', 'meta.source']);
  if (draw.chance(0.35)) raw.where = [draw.pick(FILTERS)];
  return parseComputedTraitDefinition(raw);
}

/**
 * One definition, two evaluators: the set-wise SQL (`compileComputedTraitSelect`, and the refresh
 * statement that stores it) and the in-memory `computeTraitValue` give every profile the same value,
 * for hundreds of random definitions over random profiles. A disagreement prints the definition.
 */
describe('computed traits: SQL refresh and in-memory computation agree', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  let database: TestDatabase;
  const profiles: { id: string; events: TraitEvent[] }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const draw = new Draw(20_261_207);
    for (let index = 0; index < 80; index += 1) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      const events = randomEvents(draw, now);
      const stored: TraitEvent[] = [];
      for (const [position, event] of events.entries()) {
        const [inserted] = await database.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5) RETURNING id`,
          [`${row.id}-${position}`, row.id, event.name, event.timestamp, event.properties],
        );
        stored.push({ id: inserted.id, ...event });
      }
      profiles.push({ id: row.id, events: stored });
    }
    // A merged-away and an erased profile with events: no value, whatever the function.
    for (const mark of [`merged_into = (SELECT id FROM profiles LIMIT 1)`, `deleted_at = now()`]) {
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await database.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', 'Order Completed', $3, '{"revenue": 5}')`,
        [`${row.id}-0`, row.id, now],
      );
      await database.dataSource.query(`UPDATE profiles SET ${mark} WHERE id = $1`, [row.id]);
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  async function sqlValues(definition: ComputedTraitDefinition): Promise<Map<string, unknown>> {
    const { text, values } = compileComputedTraitSelect(definition, { now });
    const rows: { profile_id: string; value: unknown }[] = await database.dataSource.query(text, values);
    expect(new Set(rows.map((row) => row.profile_id)).size).toBe(rows.length);
    return new Map(rows.map((row) => [row.profile_id, row.value]));
  }

  function expectSame(definition: ComputedTraitDefinition, fromSql: Map<string, unknown>): void {
    expect(fromSql.size).toBeLessThanOrEqual(profiles.length);
    for (const profile of profiles) {
      const memory = computeTraitValue(definition, profile.events, now);
      const sql = fromSql.get(profile.id);
      if (!Object.is(sql, memory) && JSON.stringify(sql) !== JSON.stringify(memory)) {
        throw new Error(
          `disagree on ${JSON.stringify(definition)} for ${JSON.stringify(profile.events)}: sql ${JSON.stringify(sql)}, memory ${JSON.stringify(memory)}`,
        );
      }
    }
  }

  it('on 400 random definitions', async () => {
    const draw = new Draw(7);
    const seen = new Set<string>();
    for (let index = 0; index < 400; index += 1) {
      const definition = randomDefinition(draw);
      seen.add(definition.function);
      expectSame(definition, await sqlValues(definition));
    }
    expect([...seen].sort()).toEqual([...TRAIT_FUNCTIONS].sort());
  }, 120_000);

  it('the refresh statement stores exactly those values, and a second run changes nothing', async () => {
    const draw = new Draw(11);
    for (let index = 0; index < 40; index += 1) {
      const definition = randomDefinition(draw);
      const target = { traitId: '00000000-0000-4000-8000-000000000020', version: 1, key: `t${index}`, computedAt: now };
      const { text, values } = compileComputedTraitRefresh(definition, target, { now });
      const [first] = await database.dataSource.query(text, values);
      const stored: { profile_id: string; value: unknown }[] = await database.dataSource.query(
        `SELECT profile_id, value FROM computed_trait_values WHERE key = $1`,
        [target.key],
      );
      expect(first.with_value).toBe(stored.length);
      expectSame(definition, new Map(stored.map((row) => [row.profile_id, row.value])));
      const [second] = await database.dataSource.query(text, values);
      expect([second.upserted, second.deleted]).toEqual([0, 0]);
    }
  }, 120_000);

  it('hand-made ties and exact decimals', () => {
    const at = now.getTime() - DAY;
    const events: TraitEvent[] = [
      { id: '12', name: 'Order Completed', timestamp: at, properties: { revenue: 0.1, category: 'b' } },
      { id: '3', name: 'Order Completed', timestamp: at, properties: { revenue: 0.2, category: 'a' } },
      { id: '4', name: 'Order Completed', timestamp: at - 1, properties: { revenue: 1, category: 'a' } },
      { id: '5', name: 'Order Completed', timestamp: at - 2, properties: { revenue: 1, category: 'b' } },
    ];
    const value = (fn: ComputedTraitDefinition['function'], property = 'revenue') =>
      computeTraitValue({ function: fn, event: 'Order Completed', property, window: 'ever' }, events, now);
    expect(value('sum')).toBe(2.3);
    expect(value('avg')).toBe(0.575);
    // Same timestamp: the higher event id is later.
    expect(value('last')).toBe(0.1);
    expect(value('first')).toBe(1);
    // a and b twice each: b's latest event (id 12) is later than a's (id 3).
    expect(value('most_frequent', 'category')).toBe('b');
    expect(value('distinct_count', 'category')).toBe(2);
    expect(
      computeTraitValue(
        { function: 'avg', event: 'x', property: 'v', window: 'ever' },
        [1, 1, 0].map((v, i) => ({ id: i, name: 'x', timestamp: 0, properties: { v } })),
        now,
      ),
    ).toBe(0.6666666667);
  });
});
