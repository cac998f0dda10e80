import { RulesDefinition } from '../rules/definition.schema';
import { evaluateSegment } from '../rules/evaluate';
import { evaluateProfileRealtime } from './evaluate-realtime';
import { RealtimeSegment, orderByReferences } from './order-by-references';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Events = { name: string; timestamp: number | Date; properties?: Record<string, unknown> }[];

function segment(id: string, definition: RulesDefinition, key = `${id}-key`): RealtimeSegment {
  return { id, key, definition };
}

function evaluateAt(segments: RealtimeSegment[], events: Events, at: number, otherSegments: string[] = [], traits = {}) {
  return evaluateProfileRealtime(segments, { traits, events, otherSegments: new Set(otherSegments) }, new Date(at));
}

const cartLastHour: RulesDefinition = {
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      { type: 'event', event: 'Product Added', window: 'last 1 hours' },
      { type: 'event', event: 'Order Completed', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
    ],
  },
};

// The README's "did not perform" form, plus an order ever so that it is not everyone.
const noOrderIn30Days: RulesDefinition = {
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      { type: 'event', event: 'Order Completed', window: 'ever' },
      { type: 'event', event: 'Order Completed', window: 'last 30 days', count: { operator: 'exactly', value: 0 } },
    ],
  },
};

describe('evaluateProfileRealtime: the seed examples', () => {
  it('a cart added 10 minutes ago exits exactly one hour after the add, and does not re-enter', () => {
    const added = NOW - 10 * MINUTE;
    const events = [{ name: 'Product Added', timestamp: new Date(added) }];
    expect(evaluateAt([segment('cart', cartLastHour)], events, NOW)).toEqual([
      { segmentId: 'cart', matches: true, nextChangeAt: added + HOUR },
    ]);
    expect(evaluateAt([segment('cart', cartLastHour)], events, added + HOUR - 1)[0].matches).toBe(true);
    expect(evaluateAt([segment('cart', cartLastHour)], events, added + HOUR)).toEqual([
      { segmentId: 'cart', matches: false, nextChangeAt: null },
    ]);
  });

  it('an order after the add exits at the order and re-enters never (the order leaves the window with the add)', () => {
    const added = NOW - 10 * MINUTE;
    const ordered = NOW + 5 * MINUTE; // future-dated: counts from its timestamp
    const events = [
      { name: 'Product Added', timestamp: added },
      { name: 'Order Completed', timestamp: ordered },
    ];
    expect(evaluateAt([segment('cart', cartLastHour)], events, NOW)[0]).toEqual({
      segmentId: 'cart',
      matches: true,
      nextChangeAt: ordered,
    });
    // At the order: out; the add leaves the window before the order does, so it never comes back.
    expect(evaluateAt([segment('cart', cartLastHour)], events, ordered)[0]).toEqual({
      segmentId: 'cart',
      matches: false,
      nextChangeAt: null,
    });
  });

  it('"no order in the last 30 days" enters at the last order + 30 days to the millisecond', () => {
    const lastOrder = NOW - 10 * DAY + 123;
    const events = [
      { name: 'Order Completed', timestamp: NOW - 40 * DAY },
      { name: 'Order Completed', timestamp: lastOrder },
      { name: 'Page Viewed', timestamp: NOW - HOUR },
    ];
    const segments = [segment('win-back', noOrderIn30Days)];
    expect(evaluateAt(segments, events, NOW)[0]).toEqual({ segmentId: 'win-back', matches: false, nextChangeAt: lastOrder + 30 * DAY });
    expect(evaluateAt(segments, events, lastOrder + 30 * DAY - 1)[0]).toEqual({
      segmentId: 'win-back',
      matches: false,
      nextChangeAt: lastOrder + 30 * DAY,
    });
    expect(evaluateAt(segments, events, lastOrder + 30 * DAY)[0]).toEqual({ segmentId: 'win-back', matches: true, nextChangeAt: null });
  });

  it('a profile that never ordered is never a win-back candidate', () => {
    expect(evaluateAt([segment('win-back', noOrderIn30Days)], [{ name: 'Product Added', timestamp: NOW }], NOW)[0]).toEqual({
      segmentId: 'win-back',
      matches: false,
      nextChangeAt: null,
    });
  });
});

describe('evaluateProfileRealtime: recency boundaries, to the millisecond', () => {
  const last = NOW - 5 * DAY + 777;
  const boundary = last + 7 * DAY; // 7 days since the last order, exactly
  const events = [{ name: 'Order Completed', timestamp: last }];
  const recency = (operator: 'gt' | 'gte' | 'lt' | 'lte'): RealtimeSegment[] => [
    segment(operator, { type: 'rules', match: { type: 'recency', event: 'Order Completed', operator, days: 7 } }),
  ];

  // [operator, verdict before the change, instant of the change]
  it.each([
    ['gte', false, boundary],
    ['gt', false, boundary + 1],
    ['lte', true, boundary + 1],
    ['lt', true, boundary],
  ] as const)('%s 7 days changes from %s at its exact instant', (operator, before, change) => {
    for (const at of [NOW, change - 2, change - 1]) {
      expect(evaluateAt(recency(operator), events, at)[0]).toEqual({ segmentId: operator, matches: before, nextChangeAt: change });
    }
    expect(evaluateAt(recency(operator), events, change)[0]).toEqual({ segmentId: operator, matches: !before, nextChangeAt: null });
    // The in-memory evaluator agrees on both sides of the boundary.
    const definition = recency(operator)[0].definition;
    expect(evaluateSegment(definition, { traits: {}, events }, { now: new Date(change - 1) })).toBe(before);
    expect(evaluateSegment(definition, { traits: {}, events }, { now: new Date(change) })).toBe(!before);
  });

  it('a future event becomes the last event at its timestamp and restarts the count', () => {
    const next = NOW + DAY;
    const withFuture = [...events, { name: 'Order Completed', timestamp: next }];
    // Without it `lt` would leave at `boundary`; the future order arrives first and moves the boundary.
    expect(evaluateAt(recency('gte'), withFuture, boundary - 1)[0]).toEqual({
      segmentId: 'gte',
      matches: false,
      nextChangeAt: next + 7 * DAY,
    });
    expect(evaluateAt(recency('lt'), withFuture, NOW)[0]).toEqual({ segmentId: 'lt', matches: true, nextChangeAt: next + 7 * DAY });
  });

  it('recency between [2, 3] days enters at last + 2 days and leaves 1 ms after last + 3 days', () => {
    const between = [
      segment('b', { type: 'rules', match: { type: 'recency', event: 'Order Completed', operator: 'between', days: [2, 3] } }),
    ];
    const recent = [{ name: 'Order Completed', timestamp: NOW - HOUR }];
    expect(evaluateAt(between, recent, NOW)[0].nextChangeAt).toBe(NOW - HOUR + 2 * DAY);
    expect(evaluateAt(between, recent, NOW - HOUR + 2 * DAY)[0]).toEqual({
      segmentId: 'b',
      matches: true,
      nextChangeAt: NOW - HOUR + 3 * DAY + 1,
    });
  });
});

describe('evaluateProfileRealtime: references', () => {
  const recentCart = segment(
    'a',
    { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'last 1 hours' } },
    'recent-cart',
  );
  const proWithCart = (reference: string) =>
    segment('b', {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'segment', segment: reference },
          { type: 'segment', segment: 'newsletter' },
        ],
      },
    });

  it.each(['recent-cart', 'a'])("B references real-time A (by %s): A's time transition moves B at the same instant", (reference) => {
    const added = NOW - 20 * MINUTE;
    const events = [{ name: 'Product Added', timestamp: added }];
    // B is listed first: the evaluator orders by references.
    expect(evaluateAt([proWithCart(reference), recentCart], events, NOW, ['newsletter'])).toEqual([
      { segmentId: 'b', matches: true, nextChangeAt: added + HOUR },
      { segmentId: 'a', matches: true, nextChangeAt: added + HOUR },
    ]);
    expect(evaluateAt([proWithCart(reference), recentCart], events, added + HOUR, ['newsletter'])).toEqual([
      { segmentId: 'b', matches: false, nextChangeAt: null },
      { segmentId: 'a', matches: false, nextChangeAt: null },
    ]);
  });

  it('a batch segment the profile is not in keeps B out, whatever A does', () => {
    const events = [{ name: 'Product Added', timestamp: NOW }];
    expect(evaluateAt([proWithCart('recent-cart'), recentCart], events, NOW, [])[0]).toEqual({
      segmentId: 'b',
      matches: false,
      nextChangeAt: null,
    });
  });
});

describe('evaluateProfileRealtime: the candidate budget', () => {
  // Every future add is an instant where "added ever" might change; none changes it.
  const addedEver = [segment('ever', { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'ever' } })];
  const events = [0, 1000, 2000, 3000].map((offset) => ({ name: 'Product Added', timestamp: NOW + offset }));

  it('with enough budget, no change means null', () => {
    expect(evaluateAt(addedEver, events, NOW)[0]).toEqual({ segmentId: 'ever', matches: true, nextChangeAt: null });
  });

  it('when the budget runs out first, the last examined instant is reported', () => {
    const verdicts = evaluateProfileRealtime(addedEver, { traits: {}, events, otherSegments: new Set() }, new Date(NOW), {
      maxCandidates: 2,
    });
    expect(verdicts).toEqual([{ segmentId: 'ever', matches: true, nextChangeAt: NOW + 2000 }]);
  });

  it('a change found within the budget is reported exactly', () => {
    const verdicts = evaluateProfileRealtime(addedEver, { traits: {}, events: events.slice(1), otherSegments: new Set() }, new Date(NOW), {
      maxCandidates: 1,
    });
    expect(verdicts).toEqual([{ segmentId: 'ever', matches: false, nextChangeAt: NOW + 1000 }]);
  });

  it('refuses a budget that is not a positive integer', () => {
    expect(() =>
      evaluateProfileRealtime(addedEver, { traits: {}, events, otherSegments: new Set() }, new Date(NOW), { maxCandidates: 0 }),
    ).toThrow(RangeError);
  });
});

describe('orderByReferences', () => {
  const refers = (id: string, ...references: string[]): RealtimeSegment =>
    segment(id, {
      type: 'rules',
      match: {
        type: 'any',
        conditions: [
          { type: 'trait', trait: 'plan', operator: 'exists' },
          ...references.map((s) => ({ type: 'segment' as const, segment: s })),
        ],
      },
    });

  it('puts every segment after the real-time segments it references (by key or id); others are no edges', () => {
    const order = orderByReferences([refers('c', 'b-key', 'batch'), refers('b', 'a'), refers('a'), refers('d')]).map((s) => s.id);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('c'));
    expect(order).toHaveLength(4);
  });

  it('throws naming the cycle', () => {
    expect(() => orderByReferences([refers('a', 'b'), refers('b', 'c-key'), refers('c', 'a'), refers('d')])).toThrow(
      /cycle: (a-key → b-key → c-key → a-key|b-key → c-key → a-key → b-key|c-key → a-key → b-key → c-key)/,
    );
    expect(() => orderByReferences([refers('a', 'a-key')])).toThrow('cycle: a-key → a-key');
  });

  it('throws on a duplicate id', () => {
    expect(() => orderByReferences([refers('a'), refers('a')])).toThrow('appears twice');
  });
});
