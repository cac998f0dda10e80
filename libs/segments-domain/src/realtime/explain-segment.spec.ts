import { mulberry32 } from '@audiencekit/util';
import { Condition, RulesDefinition } from '../rules/definition.schema';
import { ProfileEvaluator, evaluateSegment } from '../rules/evaluate';
import { evaluateProfileRealtime } from './evaluate-realtime';
import { ExplainNode, explainSegment } from './explain-segment';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (offset: number) => new Date(NOW.getTime() + offset);

const cartAbandoner: RulesDefinition = {
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      { type: 'event', event: 'Product Added', window: 'last 1 days' },
      { type: 'not', condition: { type: 'event', event: 'Order Completed', window: 'last 1 days' } },
      { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' },
    ],
  },
};

describe('explainSegment', () => {
  it('gives each node its verdict, the values that decided it and when a window flips it', () => {
    const events = [
      { name: 'Product Added', timestamp: at(-2 * HOUR), properties: {} },
      { name: 'Product Added', timestamp: at(-HOUR), properties: {} },
      { name: 'Order Completed', timestamp: at(-3 * DAY), properties: { revenue: 10 } },
    ];
    const explained = explainSegment(cartAbandoner, { traits: { plan: 'pro' }, events, otherSegments: new Set() }, NOW);
    expect(explained.matches).toBe(true);
    // The last Product Added leaves the 1-day window 23 hours from now.
    expect(explained.nextChangeAt).toBe(at(DAY - HOUR).toISOString());
    const [added, notOrdered, plan] = explained.root.children as ExplainNode[];
    expect(added).toMatchObject({
      path: 'match.conditions[0]',
      matches: true,
      changesAt: at(DAY - HOUR).toISOString(),
      values: {
        kind: 'events',
        count: 2,
        windowStart: at(-DAY).toISOString(),
        windowEnd: NOW.toISOString(),
        firstAt: at(-2 * HOUR).toISOString(),
        lastAt: at(-HOUR).toISOString(),
      },
    });
    expect(notOrdered).toMatchObject({ type: 'not', matches: true, changesAt: null, condition: { type: 'not' } });
    expect(notOrdered.children?.[0]).toMatchObject({ path: 'match.conditions[1].condition', matches: false, values: { count: 0 } });
    expect(plan).toMatchObject({ matches: true, values: { kind: 'trait', value: 'pro' }, changesAt: null });
    expect(explained.root.condition).toEqual({ type: 'all' });
  });

  it('reports aggregates, recency and segment references', () => {
    const definition: RulesDefinition = {
      type: 'rules',
      match: {
        type: 'any',
        conditions: [
          {
            type: 'event',
            event: 'Order Completed',
            window: 'ever',
            aggregate: { function: 'sum', property: 'revenue', operator: 'gte', value: 100 },
          },
          { type: 'recency', event: 'Order Completed', operator: 'lte', days: 7 },
          { type: 'segment', segment: 'vip' },
        ],
      },
    };
    const events = [
      { name: 'Order Completed', timestamp: at(-10 * DAY), properties: { revenue: 30.5 } },
      { name: 'Order Completed', timestamp: at(-5 * DAY), properties: { revenue: 20 } },
      { name: 'Order Completed', timestamp: at(-4 * DAY), properties: { revenue: 'n/a' } },
    ];
    const explained = explainSegment(definition, { traits: {}, events, otherSegments: new Set(['vip']) }, NOW);
    const [sum, recency, vip] = explained.root.children as ExplainNode[];
    expect(sum).toMatchObject({ matches: false, values: { count: 3, aggregate: { function: 'sum', values: 2, result: 50.5 } } });
    expect(recency).toMatchObject({ matches: true, values: { kind: 'recency', lastAt: at(-4 * DAY).toISOString(), daysSince: 4 } });
    // 7 days after the last order: lte 7 still holds at exactly 7 days, fails 1 ms later.
    expect(recency.changesAt).toBe(at(3 * DAY + 1).toISOString());
    expect(vip).toMatchObject({ matches: true, values: { kind: 'segment', member: true } });
    expect(explained.matches).toBe(true);
  });

  it('on 300 random definitions and profiles: the top verdict is the real-time verdict and the root node, and every node agrees with evaluateSegment', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      const random = mulberry32(seed);
      const definition: RulesDefinition = { type: 'rules', match: randomCondition(random, 0) };
      const events = Array.from({ length: Math.floor(random() * 6) }, () => ({
        name: pick(random, ['Product Added', 'Order Completed']),
        timestamp: NOW.getTime() + Math.round((random() * 6 - 3) * DAY),
        properties: { revenue: pick(random, [5, 10, 20]) },
      }));
      const profile = { traits: random() < 0.5 ? { plan: 'pro' } : {}, events, otherSegments: new Set(random() < 0.5 ? ['vip'] : []) };
      const explained = explainSegment(definition, profile, NOW);
      const [realtime] = evaluateProfileRealtime([{ id: 's', key: 's', definition }], profile, NOW);
      const memory = evaluateSegment(definition, { ...profile, segments: profile.otherSegments }, { now: NOW });
      const expected = { matches: realtime.matches, next: realtime.nextChangeAt && new Date(realtime.nextChangeAt).toISOString() };
      const got = { matches: explained.matches, next: explained.nextChangeAt };
      if (JSON.stringify(expected) !== JSON.stringify(got) || explained.root.matches !== memory || memory !== realtime.matches)
        failures.push(`seed ${seed}: ${JSON.stringify({ expected, got, root: explained.root.matches, memory })}`);
      const evaluator = new ProfileEvaluator(profile);
      for (const node of flatten(explained.root)) {
        const condition = nodeAt(definition, node.path);
        if (evaluator.matches(condition, NOW, profile.otherSegments) !== node.matches) failures.push(`seed ${seed}: ${node.path}`);
        if (node.changesAt && evaluator.matches(condition, new Date(node.changesAt), profile.otherSegments) === node.matches)
          failures.push(`seed ${seed}: ${node.path} does not change at ${node.changesAt}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function randomCondition(random: () => number, depth: number): Condition {
  const roll = random();
  if (depth < 2 && roll < 0.3) {
    const conditions = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomCondition(random, depth + 1));
    return random() < 0.5 ? { type: 'all', conditions } : { type: 'any', conditions };
  }
  if (depth < 2 && roll < 0.4) return { type: 'not', condition: randomCondition(random, depth + 1) };
  const window = pick(random, ['last 2 hours', 'last 1 days', 'last 2 days', 'ever']);
  switch (Math.floor(random() * 5)) {
    case 0:
      return { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' };
    case 1:
      return { type: 'event', event: 'Product Added', window, count: { operator: 'at_least', value: Math.floor(random() * 3) } };
    case 2:
      return {
        type: 'event',
        event: 'Order Completed',
        window,
        aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 10 },
      };
    case 3:
      return { type: 'recency', event: 'Order Completed', operator: pick(random, ['gt', 'lte'] as const), days: Math.floor(random() * 3) };
    default:
      return { type: 'segment', segment: 'vip' };
  }
}

function flatten(node: ExplainNode): ExplainNode[] {
  return [node, ...(node.children ?? []).flatMap(flatten)];
}

/** Follows an explain path (`match.conditions[1].condition`) back into the definition. */
function nodeAt(definition: RulesDefinition, path: string): Condition {
  let current: unknown = definition;
  for (const part of path.match(/[a-z]+|\d+/gi) ?? []) current = (current as Record<string, unknown>)[part];
  return current as Condition;
}
