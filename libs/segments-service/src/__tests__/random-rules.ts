import { Condition, RulesDefinition } from '@audiencekit/segments-domain';
import { MessageType } from '@audiencekit/segments-domain';
import { mulberry32, randomContext, randomLocationCondition, randomMessageType, withContext } from '@audiencekit/testing';

/**
 * Seeded random profiles and definitions for the differential test. The value pools are chosen to
 * hit the edges where SQL and JavaScript could disagree: numbers that sum badly in binary
 * (0.1 + 0.2), numeric strings, impossible dates, nulls, arrays, nested objects, boundaries that
 * fall exactly on window edges.
 */
export class SeededRandom {
  private readonly draw: () => number;
  private sideStream: SeededRandom | undefined;

  constructor(private readonly seed: number) {
    this.draw = mulberry32(seed);
  }

  /**
   * A second stream from the same seed, for the draws added with event context and geography
   * (issue 20): the main stream, and so every definition and event drawn before, stays as it was.
   */
  get side(): SeededRandom {
    this.sideStream ??= new SeededRandom((this.seed ^ 0x2020c0de) >>> 0);
    return this.sideStream;
  }

  /** The next float in [0, 1) of libs/testing's mulberry32 stream. */
  next(): number {
    return this.draw();
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

export const EVENT_NAMES = ['Product Added', 'Order Completed', 'Page Viewed', 'Segment Entered'] as const;
const COUNTRIES = ['DE', 'FR', 'US', 'de', 'GB'];
const PLANS = ['free', 'pro', 'pro-plus', 'enterprise'];
const TAGS = ['golf', 'tennis', 'wine', 'Golf'];
const AMOUNTS = [0.1, 0.2, 0.3, 0.30000000000000004, 1, 2.5, 10, 99.99, 100, 250.5, -5, 1e21, 1000];
const DATES = [
  '2026-01-15',
  '2026-02-29',
  '2024-02-29',
  '2026-03-01T10:00:00Z',
  '2026-03-01T10:00:00.5+02:00',
  '2026-13-01',
  'yesterday',
  '2025-12-31T23:59:59Z',
];
const WINDOWS = [
  'last 1 days',
  'last 7 days',
  'last 30 days',
  'last 90 days',
  'last 12 hours',
  'ever',
  'between 2026-01-01 and 2026-02-01',
  'last 2 weeks',
];
export const DAY = 86_400_000;

export function randomTraits(random: SeededRandom): Record<string, unknown> {
  const traits: Record<string, unknown> = {};
  if (random.chance(0.8)) traits.age = random.pick([17, 18, 30, 45, 65, 30.5]);
  if (random.chance(0.7)) traits.country = random.pick(COUNTRIES);
  if (random.chance(0.5)) traits.plan = random.pick([...PLANS, null]);
  if (random.chance(0.5)) traits.score = random.pick([...AMOUNTS, '42']);
  if (random.chance(0.5)) traits.tags = TAGS.filter(() => random.chance(0.4));
  if (random.chance(0.5)) traits.signup = random.pick(DATES);
  if (random.chance(0.4)) traits.vip = random.chance(0.5);
  if (random.chance(0.4)) traits.address = random.chance(0.8) ? { city: random.pick(['Berlin', 'Paris', 'Bern']) } : 'unknown';
  return traits;
}

export interface RandomEvent {
  name: string;
  timestamp: Date;
  properties: Record<string, unknown>;
  type: MessageType;
  context?: Record<string, unknown>;
}

/** Events spread over the last 200 days, some exactly on day boundaries of the windows; types and contexts from the side stream. */
export function randomEvents(random: SeededRandom, now: Date): RandomEvent[] {
  const count = random.int(0, 12);
  return Array.from({ length: count }, () => {
    const onBoundary = random.chance(0.2);
    const ago = onBoundary ? random.pick([0, 1, 7, 30, 90, 180]) * DAY : random.int(0, 200 * DAY);
    const properties: Record<string, unknown> = {};
    if (random.chance(0.8)) properties.revenue = random.pick([...AMOUNTS, '15', null]);
    if (random.chance(0.6)) properties.category = random.pick(['shoes', 'shirts', 'golf clubs']);
    const name = random.pick(EVENT_NAMES);
    return {
      name,
      timestamp: new Date(now.getTime() - ago),
      properties,
      type: randomMessageType(random.side, name),
      context: randomContext(random.side),
    };
  });
}

export function randomDefinition(random: SeededRandom, segmentKeys: readonly string[]): RulesDefinition {
  return { type: 'rules', match: randomCondition(random, 0, segmentKeys) };
}

function randomCondition(random: SeededRandom, depth: number, segmentKeys: readonly string[]): Condition {
  const roll = random.next();
  if (depth < 3 && roll < 0.3) {
    const conditions = Array.from({ length: random.int(1, 3) }, () => randomCondition(random, depth + 1, segmentKeys));
    return random.chance(0.5) ? { type: 'all', conditions } : { type: 'any', conditions };
  }
  if (depth < 3 && roll < 0.38) return { type: 'not', condition: randomCondition(random, depth + 1, segmentKeys) };
  const leaf = random.int(0, 11);
  if (leaf <= 3) return random.side.chance(0.06) ? randomLocationCondition(random.side, WINDOWS) : randomTrait(random);
  if (leaf <= 6) return withContext(random.side, randomEvent(random), 0.5);
  if (leaf === 7) {
    const days = random.pick([1, 7, 30, 90, 180]);
    const operator = random.pick(['gt', 'gte', 'lt', 'lte', 'between'] as const);
    return {
      type: 'recency',
      event: random.chance(0.7) ? random.pick(EVENT_NAMES) : undefined,
      operator,
      days: operator === 'between' ? [days, days + random.pick([0, 30])] : days,
    };
  }
  if (leaf === 8) {
    return {
      type: 'frequency',
      event: random.chance(0.5) ? random.pick(EVENT_NAMES) : undefined,
      window: random.pick(WINDOWS),
      operator: random.pick(['at_least', 'at_most', 'exactly'] as const),
      value: random.int(0, 3),
    };
  }
  if (leaf >= 10) return randomLifecycle(random);
  const segment = random.pick(segmentKeys);
  return random.side.chance(0.2) ? randomLocationCondition(random.side, WINDOWS) : { type: 'segment', segment };
}

/** sequence, first_time, stopped, regularly (issue 20), with the same event names, filters and windows. */
export function randomLifecycle(random: SeededRandom): Condition {
  const where = () => (random.chance(0.3) ? [{ property: random.pick(['category', 'revenue']), ...randomValueTest(random) }] : undefined);
  const event = () => random.pick(EVENT_NAMES);
  switch (random.int(0, 3)) {
    case 0:
      return {
        type: 'sequence',
        steps: Array.from({ length: random.int(2, 3) }, () => ({ event: event(), where: where() })),
        within: random.pick(['1h', '1d', '7d', '30d', '90 days']),
        window: random.pick(WINDOWS),
      };
    case 1:
      return { type: 'first_time', event: event(), where: where(), window: random.pick(WINDOWS) };
    case 2:
      return {
        type: 'stopped',
        event: event(),
        where: where(),
        active: random.pick(['1d', '7d', '30d', '60d']),
        quiet: random.pick(['12h', '1d', '7d', '30d']),
      };
    default:
      return {
        type: 'regularly',
        event: event(),
        where: where(),
        window: random.pick(WINDOWS),
        per: random.pick(['day', 'week'] as const),
        atLeast: random.int(1, 4),
      };
  }
}

function randomTrait(random: SeededRandom): Condition {
  const trait = random.pick(['age', 'country', 'plan', 'score', 'tags', 'signup', 'vip', 'address.city', 'missing']);
  return { type: 'trait', trait, ...randomValueTest(random) };
}

function randomValueTest(random: SeededRandom): { operator: never; value?: never } {
  const operator = random.pick([
    'equals',
    'not_equals',
    'in',
    'not_in',
    'contains',
    'starts_with',
    'gt',
    'gte',
    'lt',
    'lte',
    'between',
    'exists',
    'not_exists',
  ] as const);
  const scalar = () =>
    random.pick<string | number | boolean>([
      ...COUNTRIES,
      ...PLANS,
      'golf',
      30,
      30.5,
      0.3,
      0.30000000000000004,
      true,
      false,
      '42',
      'Berlin',
    ]);
  const orderable = () =>
    random.chance(0.6)
      ? random.pick([17, 18, 30, 0.3, 100, 1000, 1e21])
      : random.pick(['2026-01-01', '2026-03-01T10:00:00Z', '2024-02-29']);
  let value: unknown;
  if (operator === 'equals' || operator === 'not_equals') value = scalar();
  else if (operator === 'in' || operator === 'not_in') value = Array.from({ length: random.int(1, 3) }, scalar);
  else if (operator === 'contains' || operator === 'starts_with') value = random.pick(['e', 'pro', 'golf', 'Ber', 'D', '4']);
  else if (operator === 'between') {
    const low = orderable();
    value = typeof low === 'number' ? [low, low + random.pick([0, 10, 1000])] : [low, '2026-12-31'];
  } else if (operator !== 'exists' && operator !== 'not_exists') value = orderable();
  return (value === undefined ? { operator } : { operator, value }) as never;
}

function randomEvent(random: SeededRandom): Condition {
  const base = { type: 'event' as const, event: random.pick(EVENT_NAMES), window: random.pick(WINDOWS) };
  const where = random.chance(0.3) ? [{ property: random.pick(['category', 'revenue']), ...randomValueTest(random) }] : undefined;
  if (random.chance(0.35)) {
    const operator = random.pick(['gt', 'gte', 'lt', 'lte', 'between'] as const);
    const threshold = random.pick([0.3, 0.6, 1, 100, 250.5, 1000, 0]);
    return {
      ...base,
      where,
      aggregate: {
        function: random.pick(['sum', 'avg', 'min', 'max'] as const),
        property: 'revenue',
        operator,
        value: operator === 'between' ? [threshold, threshold + 100] : threshold,
      },
    };
  }
  return {
    ...base,
    where,
    count: random.chance(0.3) ? undefined : { operator: random.pick(['at_least', 'at_most', 'exactly'] as const), value: random.int(0, 3) },
  };
}
