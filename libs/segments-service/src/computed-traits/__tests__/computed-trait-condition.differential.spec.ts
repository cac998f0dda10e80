import { randomUUID } from 'node:crypto';
import {
  compileSegmentSql,
  evaluateProfileRealtime,
  evaluateSegment,
  parseSegmentDefinition,
  RulesDefinition,
  VALUE_OPERATORS,
} from '@audiencekit/segments-domain';
import { createTestDatabase, mulberry32, TestDatabase } from '@audiencekit/testing';

const KEYS = ['orders_90d', 'fav_category', 'last_plan'];
const VALUES: unknown[] = [
  0,
  1,
  3,
  2.5,
  0.30000000000000004,
  -5,
  1e21,
  '3',
  'golf',
  'Golf',
  'golf clubs',
  '2026-03-01',
  '2026-02-30',
  true,
  false,
  ['golf', 'wine'],
  { a: 1 },
];
const OPERANDS: Record<string, unknown[]> = {
  equals: [3, 'golf', true, '3'],
  not_equals: [3, 'golf', false],
  in: [
    [1, 3],
    ['golf', 'wine'],
    [true, '3'],
  ],
  not_in: [[1, 3], ['golf']],
  contains: ['golf', 'ol'],
  starts_with: ['go', 'G'],
  gt: [0, 2.5, '2026-01-01'],
  gte: [1, 3],
  lt: [3, 1e22, '2026-12-31'],
  lte: [0.3, 2.5],
  between: [
    [1, 3],
    [0, 0.3],
    ['2026-01-01', '2026-06-01'],
  ],
};

/**
 * The `computed_trait` condition, three evaluators: the compiled SQL over `computed_trait_values`,
 * `evaluateSegment` and the prepared real-time evaluator agree for random conditions (all 13
 * operators, nested in all/any/not with trait conditions) over random stored values, missing ones included.
 */
describe('computed_trait condition: SQL, in-memory and real-time evaluators agree', () => {
  const now = new Date('2026-06-15T12:00:00.000Z');
  let database: TestDatabase;
  const profiles: { id: string; traits: Record<string, unknown>; computedTraits: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const next = mulberry32(2026_12_07);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const sourceId = randomUUID();
    for (let index = 0; index < 90; index += 1) {
      const traits = next() < 0.5 ? { plan: pick(['free', 'pro']) } : {};
      const [row] = await database.dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [traits]);
      const computedTraits: Record<string, unknown> = {};
      for (const key of KEYS) if (next() < 0.7) computedTraits[key] = pick(VALUES);
      for (const [key, value] of Object.entries(computedTraits)) {
        await database.dataSource.query(
          `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at) VALUES ($1, $2, $3::jsonb, 'computed', $4, 1, now())`,
          [row.id, key, JSON.stringify(value), sourceId],
        );
      }
      profiles.push({ id: row.id, traits, computedTraits });
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('on 300 random definitions', async () => {
    const next = mulberry32(99);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const leaf = (): unknown => {
      if (next() < 0.2) return { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' };
      const operator = pick(VALUE_OPERATORS);
      const condition: Record<string, unknown> = { type: 'computed_trait', key: pick([...KEYS, 'unknown_key']), operator };
      if (operator !== 'exists' && operator !== 'not_exists') condition.value = pick(OPERANDS[operator]);
      return condition;
    };
    const node = (depth: number): unknown => {
      const roll = next();
      if (depth > 2 || roll < 0.5) return leaf();
      if (roll < 0.65) return { type: 'not', condition: node(depth + 1) };
      return { type: roll < 0.85 ? 'all' : 'any', conditions: [node(depth + 1), node(depth + 1)] };
    };
    for (let index = 0; index < 300; index += 1) {
      const definition = parseSegmentDefinition({ type: 'rules', match: node(0) }) as RulesDefinition;
      const { text, values } = compileSegmentSql(definition, { now });
      const rows: { profile_id: string }[] = await database.dataSource.query(text, values);
      const sql = new Set(rows.map((row) => row.profile_id));
      for (const profile of profiles) {
        const memory = evaluateSegment(definition, { traits: profile.traits, events: [], computedTraits: profile.computedTraits }, { now });
        const [realtime] = evaluateProfileRealtime(
          [{ id: 's', key: 's', definition }],
          { traits: profile.traits, events: [], otherSegments: new Set(), computedTraits: profile.computedTraits },
          now,
        );
        if (sql.has(profile.id) !== memory || realtime.matches !== memory) {
          throw new Error(
            `disagree on ${JSON.stringify(definition.match)} for ${JSON.stringify(profile.computedTraits)}: sql ${sql.has(profile.id)}, memory ${memory}, real time ${realtime.matches}`,
          );
        }
      }
    }
  }, 120_000);
});
