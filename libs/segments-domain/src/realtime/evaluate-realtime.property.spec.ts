import { mulberry32 } from '@audiencekit/util';
import { Condition, RulesDefinition } from '../rules/definition.schema';
import { evaluateSegment } from '../rules/evaluate';
import { evaluateProfileRealtime } from './evaluate-realtime';
import { RealtimeSegment } from './order-by-references';

/**
 * Brute force against the candidate search: random small definitions over events within ±3 days of
 * now (some future-dated, some on window edges), checked instant by instant with `evaluateSegment`
 * — which knows nothing of candidates — at every boundary ± 1 ms and at random instants.
 */
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOWS = [
  ['last 30 minutes', 30 * MINUTE],
  ['last 2 hours', 2 * HOUR],
  ['last 1 days', DAY],
  ['last 2 days', 2 * DAY],
  ['ever', 0],
  [`between ${iso(NOW - DAY)} and ${iso(NOW + DAY / 2)}`, 0],
] as const;
const NAMES = ['Product Added', 'Order Completed', 'Segment Entered'];
// Lifecycle durations (a sequence's within, stopped's active and quiet).
const DURATIONS = [
  ['30m', 30 * MINUTE],
  ['1h', HOUR],
  ['1d', DAY],
] as const;
// Every length of time a leaf can add to an event's timestamp: a boundary of the test's own
// (stopped adds quiet, and quiet + active).
const OFFSETS = [
  0,
  ...WINDOWS.map(([, ms]) => ms),
  DAY,
  2 * DAY,
  ...DURATIONS.flatMap(([, quiet]) => [quiet, ...DURATIONS.map(([, active]) => quiet + active)]),
];

class Random {
  private readonly draw: () => number;
  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }
  next = () => this.draw();
  int = (min: number, max: number) => min + Math.floor(this.draw() * (max - min + 1));
  pick = <T>(items: readonly T[]): T => items[Math.floor(this.draw() * items.length)];
  chance = (probability: number) => this.draw() < probability;
}

function randomCondition(random: Random, depth: number, references: readonly string[]): Condition {
  const roll = random.next();
  if (depth < 2 && roll < 0.3) {
    const conditions = Array.from({ length: random.int(1, 3) }, () => randomCondition(random, depth + 1, references));
    return random.chance(0.5) ? { type: 'all', conditions } : { type: 'any', conditions };
  }
  if (depth < 2 && roll < 0.4) return { type: 'not', condition: randomCondition(random, depth + 1, references) };
  const leaf = random.int(0, 11);
  if (leaf >= 10) return randomLifecycle(random);
  if (leaf === 0) return { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' };
  if (leaf <= 4) {
    const base = { type: 'event' as const, event: random.pick(NAMES), window: random.pick(WINDOWS)[0] };
    const where = random.chance(0.2) ? [{ property: 'category', operator: 'equals' as const, value: 'shoes' }] : undefined;
    if (random.chance(0.2))
      return { ...base, where, aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: random.pick([0, 10, 25]) } };
    return { ...base, where, count: { operator: random.pick(['at_least', 'at_most', 'exactly'] as const), value: random.int(0, 2) } };
  }
  if (leaf === 5)
    return {
      type: 'frequency',
      event: random.chance(0.5) ? random.pick(NAMES) : undefined,
      window: random.pick(WINDOWS)[0],
      operator: random.pick(['at_least', 'at_most', 'exactly'] as const),
      value: random.int(0, 2),
    };
  if (leaf <= 7) {
    const operator = random.pick(['gt', 'gte', 'lt', 'lte', 'between'] as const);
    const days = random.int(0, 2);
    return {
      type: 'recency',
      event: random.chance(0.7) ? random.pick(NAMES) : undefined,
      operator,
      days: operator === 'between' ? [days, days + random.int(0, 1)] : days,
    };
  }
  return { type: 'segment', segment: random.pick(references) };
}

function randomLifecycle(random: Random): Condition {
  const where = () => (random.chance(0.2) ? [{ property: 'category', operator: 'equals' as const, value: 'shoes' }] : undefined);
  const window = () => random.pick(WINDOWS)[0];
  const duration = () => random.pick(DURATIONS)[0];
  switch (random.int(0, 3)) {
    case 0:
      return {
        type: 'sequence',
        steps: Array.from({ length: random.int(2, 3) }, () => ({ event: random.pick(NAMES), where: where() })),
        within: duration(),
        window: window(),
      };
    case 1:
      return { type: 'first_time', event: random.pick(NAMES), where: where(), window: window() };
    case 2:
      return { type: 'stopped', event: random.pick(NAMES), where: where(), active: duration(), quiet: duration() };
    default:
      return {
        type: 'regularly',
        event: random.pick(NAMES),
        where: where(),
        window: window(),
        per: random.pick(['day', 'week'] as const),
        atLeast: random.int(1, 3),
      };
  }
}

function randomEvents(random: Random): { name: string; timestamp: number; properties: Record<string, unknown> }[] {
  return Array.from({ length: random.int(0, 6) }, () => {
    // A fifth on whole hours or days from now: the edges of the windows above.
    const timestamp = random.chance(0.2) ? NOW + random.int(-3, 3) * random.pick([HOUR, DAY]) : NOW + random.int(-3 * DAY, 3 * DAY);
    return {
      name: random.pick(NAMES),
      timestamp: random.chance(0.05) ? timestamp + 0.25 : timestamp,
      properties: { revenue: random.pick([5, 10, 20]), category: random.pick(['shoes', 'shirts']) },
    };
  });
}

interface Case {
  segments: RealtimeSegment[]; // generated so that references only point to earlier segments
  events: ReturnType<typeof randomEvents>;
  traits: Record<string, unknown>;
  otherSegments: ReadonlySet<string>;
}

function randomCase(seed: number): Case {
  const random = new Random(seed);
  const segments: RealtimeSegment[] = [];
  for (let index = 0; index < random.int(1, 3); index++) {
    const references = ['batch-in', 'batch-out', ...segments.flatMap((segment) => [segment.id, segment.key])];
    const definition: RulesDefinition = { type: 'rules', match: randomCondition(random, 0, references) };
    segments.push({ id: `id-${index}`, key: `key-${index}`, definition });
  }
  return {
    segments,
    events: randomEvents(random),
    traits: random.chance(0.5) ? { plan: 'pro' } : {},
    otherSegments: new Set(['batch-in']),
  };
}

/** Verdicts by brute force: evaluateSegment per segment in generation order, memberships accumulated. */
function bruteForce(testCase: Case, at: number): boolean[] {
  const memberships = new Set(testCase.otherSegments);
  return testCase.segments.map((segment) => {
    const matches = evaluateSegment(
      segment.definition,
      { traits: testCase.traits, events: testCase.events, segments: memberships },
      { now: new Date(at) },
    );
    if (matches) memberships.add(segment.id).add(segment.key);
    return matches;
  });
}

/** Each event's timestamp plus every length of time a leaf can add to it, ± 1 ms. */
function edgeInstants(testCase: Case): number[] {
  return testCase.events.flatMap(({ timestamp }) =>
    OFFSETS.flatMap((offset) => {
      const edge = timestamp + offset;
      return [Math.floor(edge) - 1, Math.floor(edge), Math.ceil(edge), Math.ceil(edge) + 1];
    }),
  );
}

/** Mismatches between the reported verdict / next change and brute force; empty when all is well. */
function checkCase(
  seed: number,
  maxCandidates: number,
): { failures: string[]; verdicts: Map<string, { matches: boolean; nextChangeAt: number | null }> } {
  const testCase = randomCase(seed);
  const shuffled = [...testCase.segments].reverse();
  const verdicts = evaluateProfileRealtime(shuffled, { ...testCase }, new Date(NOW), { maxCandidates });
  const failures: string[] = [];
  if (verdicts.map((verdict) => verdict.segmentId).join() !== shuffled.map((segment) => segment.id).join())
    failures.push(`seed ${seed}: verdicts out of input order`);
  const byId = new Map(verdicts.map((verdict) => [verdict.segmentId, verdict]));
  const cache = new Map<number, boolean[]>();
  const brute = (at: number): boolean[] => {
    const known = cache.get(at);
    if (known) return known;
    const computed = bruteForce(testCase, at);
    cache.set(at, computed);
    return computed;
  };
  const random = new Random(seed * 7919);
  const edges = edgeInstants(testCase);
  testCase.segments.forEach((segment, index) => {
    const { matches, nextChangeAt } = verdictOf(byId, segment.id);
    const fail = (what: string) => failures.push(`seed ${seed}, ${segment.id} (${JSON.stringify(segment.definition)}): ${what}`);
    if (matches !== brute(NOW)[index]) fail(`matches ${matches} at now, evaluateSegment says ${!matches}`);
    if (nextChangeAt !== null && !(nextChangeAt > NOW)) fail(`nextChangeAt ${nextChangeAt} is not after now`);
    const until = nextChangeAt ?? NOW + YEAR;
    const randomInstants = Array.from({ length: 50 }, () => NOW + Math.floor(random.next() * (until - NOW)));
    for (const instant of [...edges, ...randomInstants]) {
      if (instant >= NOW && instant < until && brute(instant)[index] !== matches)
        fail(`changes at ${instant - NOW} ms, before nextChangeAt ${nextChangeAt && nextChangeAt - NOW}`);
    }
  });
  return { failures, verdicts: byId };
}

function verdictOf<T>(verdicts: ReadonlyMap<string, T>, id: string): T {
  const verdict = verdicts.get(id);
  if (verdict === undefined) throw new Error(`no verdict for ${id}`);
  return verdict;
}

const SEEDS = Array.from({ length: 400 }, (_, index) => index + 1);

describe('evaluateProfileRealtime against brute force', () => {
  it('verdicts equal evaluateSegment, hold until nextChangeAt, and change exactly there', () => {
    const failures: string[] = [];
    let changes = 0;
    let nulls = 0;
    for (const seed of SEEDS) {
      const testCase = randomCase(seed);
      const checked = checkCase(seed, 100_000);
      failures.push(...checked.failures);
      testCase.segments.forEach((segment, index) => {
        const { matches, nextChangeAt } = verdictOf(checked.verdicts, segment.id);
        if (nextChangeAt === null) return void nulls++;
        changes++;
        if (bruteForce(testCase, nextChangeAt)[index] === matches)
          failures.push(`seed ${seed}, ${segment.id}: no change at nextChangeAt ${nextChangeAt - NOW}`);
      });
    }
    expect(failures).toEqual([]);
    // The generator must exercise both outcomes, or the test proves little.
    expect(changes).toBeGreaterThan(100);
    expect(nulls).toBeGreaterThan(100);
  });

  it('with a budget of 2 instants: still right until nextChangeAt, never later than the true change', () => {
    const failures: string[] = [];
    let capped = 0;
    for (const seed of SEEDS) {
      const checked = checkCase(seed, 2);
      failures.push(...checked.failures);
      const exact = checkCase(seed, 100_000).verdicts;
      for (const [id, { nextChangeAt }] of checked.verdicts) {
        const truth = verdictOf(exact, id).nextChangeAt;
        if (nextChangeAt === truth) continue;
        capped++;
        if (nextChangeAt === null || (truth !== null && nextChangeAt > truth))
          failures.push(`seed ${seed}, ${id}: ${nextChangeAt} with the budget, ${truth} without`);
      }
    }
    expect(failures).toEqual([]);
    expect(capped).toBeGreaterThan(10);
  });
});
