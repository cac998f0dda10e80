import { compileSegmentSql } from '../../compile-segment-sql';
import { explainSegment } from '../../realtime/explain-segment';
import { evaluateProfileRealtime } from '../../realtime/evaluate-realtime';
import { realtimeEventNeeds } from '../../realtime/event-needs';
import { realtimeProblems } from '../../realtime/realtime-problems';
import { definitionCost } from '../definition-cost';
import { Condition, RulesDefinition, parseSegmentDefinition, SegmentDefinitionException } from '../definition.schema';
import { evaluateSegment } from '../evaluate';
import { LIFECYCLE_EXAMPLES } from '../examples';
import { parseDuration } from './duration';
import { periodStart } from './lifecycle-evaluate';

const NOW = new Date('2026-06-03T12:00:00.000Z'); // a Wednesday
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (offset: number) => NOW.getTime() + offset;
const rules = (match: Condition): RulesDefinition => parseSegmentDefinition({ type: 'rules', match }) as RulesDefinition;
type Event = { name: string; timestamp: number; properties?: Record<string, unknown> };
const matches = (match: Condition, events: Event[], now = NOW) => evaluateSegment(rules(match), { traits: {}, events }, { now });
const realtime = (match: Condition, events: Event[], now = NOW) =>
  evaluateProfileRealtime([{ id: 's', key: 's', definition: rules(match) }], { traits: {}, events, otherSegments: new Set() }, now)[0];

const pricingThenDemo: Condition = {
  type: 'sequence',
  steps: [{ event: 'Pricing Viewed', where: [{ property: 'plan', operator: 'equals', value: 'pro' }] }, { event: 'Demo Requested' }],
  within: '7d',
  window: 'last 30 days',
};

describe('lifecycle conditions: schema', () => {
  it.each(Object.entries(LIFECYCLE_EXAMPLES))('accepts the example %s', (_name, example) => {
    expect(() => parseSegmentDefinition(example.definition)).not.toThrow();
  });

  it.each([
    ['7d', 7 * DAY],
    ['7 days', 7 * DAY],
    ['12h', 12 * HOUR],
    ['30 minutes', 30 * 60_000],
    ['2w', 14 * DAY],
  ])('parses the duration %s', (text, ms) => expect(parseDuration(text).milliseconds).toBe(ms));

  it.each([
    [{ ...pricingThenDemo, steps: [{ event: 'A' }] }, 'match.steps', '>=2'],
    [{ ...pricingThenDemo, steps: Array.from({ length: 6 }, () => ({ event: 'A' })) }, 'match.steps', '<=5'],
    [{ ...pricingThenDemo, within: 'soon' }, 'match.within', 'does not parse'],
    [{ ...pricingThenDemo, within: '0d' }, 'match.within', 'at least one unit'],
    [{ ...pricingThenDemo, window: 'last fortnight' }, 'match.window', 'does not parse'],
    [{ ...pricingThenDemo, steps: [{ event: 'A', when: 1 }, { event: 'B' }] }, 'match.steps.0', 'when'],
    [{ type: 'stopped', event: 'A', active: '60d' }, 'match.quiet', 'expected string'],
    [{ type: 'regularly', event: 'A', window: 'last 7 days', per: 'month', atLeast: 2 }, 'match.per', ''],
    [{ type: 'regularly', event: 'A', window: 'last 7 days', per: 'day', atLeast: 0 }, 'match.atLeast', ''],
    [{ type: 'first_time', event: '', window: 'ever' }, 'match.event', ''],
  ])('refuses %j naming %s', (match, path, message) => {
    try {
      parseSegmentDefinition({ type: 'rules', match });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(SegmentDefinitionException);
      expect((error as SegmentDefinitionException).issues).toEqual(
        expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]),
      );
    }
  });

  it('costs every new condition', () => {
    expect(definitionCost(pricingThenDemo)).toBe(9); // 2 steps × 4 + 1 filter
    expect(definitionCost({ type: 'first_time', event: 'A', window: 'last 7 days' })).toBe(9);
    expect(definitionCost({ type: 'stopped', event: 'A', active: '60d', quiet: '30d' })).toBe(6);
    expect(definitionCost({ type: 'regularly', event: 'A', window: 'ever', per: 'day', atLeast: 3 })).toBe(12);
  });
});

describe('sequence: "then" is a strictly later timestamp', () => {
  const pricing = (offset: number, plan = 'pro'): Event => ({ name: 'Pricing Viewed', timestamp: at(offset), properties: { plan } });
  const demo = (offset: number): Event => ({ name: 'Demo Requested', timestamp: at(offset) });

  it.each([
    ['A then B a day later', [pricing(-3 * DAY), demo(-2 * DAY)], true],
    ['B before A', [demo(-3 * DAY), pricing(-2 * DAY)], false],
    ['A and B at the same instant (a tie is not "then")', [pricing(-DAY), demo(-DAY)], false],
    ['B exactly 7 days after A (within is inclusive)', [pricing(-10 * DAY), demo(-3 * DAY)], true],
    ['B 7 days and 1 ms after A', [pricing(-10 * DAY), demo(-3 * DAY + 1)], false],
    ['A filtered out by where', [pricing(-3 * DAY, 'free'), demo(-2 * DAY)], false],
    ['A before the window', [pricing(-31 * DAY), demo(-29 * DAY)], false],
    ['B in the future (not complete by now)', [pricing(-HOUR), demo(HOUR)], false],
    ['a late A, an early B, and a second B after it', [demo(-5 * DAY), pricing(-4 * DAY), demo(-DAY)], true],
  ])('%s', (_name, events, expected) => {
    expect(matches(pricingThenDemo, events)).toBe(expected);
    expect(realtime(pricingThenDemo, events).matches).toBe(expected);
  });

  it('one event never fills two steps of the same name', () => {
    const twice: Condition = { type: 'sequence', steps: [{ event: 'Login' }, { event: 'Login' }], within: '1d', window: 'ever' };
    expect(matches(twice, [{ name: 'Login', timestamp: at(-HOUR) }])).toBe(false);
    expect(
      matches(twice, [
        { name: 'Login', timestamp: at(-2 * HOUR) },
        { name: 'Login', timestamp: at(-HOUR) },
      ]),
    ).toBe(true);
  });

  it('three steps: the greedy earliest chain is found even when the first candidate fails', () => {
    const three: Condition = {
      type: 'sequence',
      steps: [{ event: 'A' }, { event: 'B' }, { event: 'C' }],
      within: '2h',
      window: 'last 1 days',
    };
    const events = [
      { name: 'A', timestamp: at(-10 * HOUR) },
      { name: 'B', timestamp: at(-9 * HOUR) },
      { name: 'A', timestamp: at(-5 * HOUR) },
      { name: 'B', timestamp: at(-4 * HOUR) },
      { name: 'C', timestamp: at(-3 * HOUR) },
    ];
    expect(matches(three, events)).toBe(true);
    const explained = explainSegment(rules(three), { traits: {}, events, otherSegments: new Set() }, NOW);
    expect(explained.root.values).toEqual({
      kind: 'sequence',
      matchedAt: [at(-5 * HOUR), at(-4 * HOUR), at(-3 * HOUR)].map((ms) => new Date(ms).toISOString()),
      windowStart: new Date(at(-DAY)).toISOString(),
      windowEnd: NOW.toISOString(),
    });
    // The chain's first step leaves the 1-day window 19 hours from now.
    expect(explained.nextChangeAt).toBe(new Date(at(DAY - 5 * HOUR)).toISOString());
  });

  it('becomes true when a future-dated last step arrives, at that instant', () => {
    expect(realtime(pricingThenDemo, [pricing(-HOUR), demo(HOUR)]).nextChangeAt).toBe(at(HOUR));
  });
});

describe('first_time', () => {
  const firstOrder: Condition = { type: 'first_time', event: 'Order Completed', window: 'last 7 days' };
  const order = (offset: number): Event => ({ name: 'Order Completed', timestamp: at(offset) });

  it('holds for a first order in the window and not with an earlier one', () => {
    expect(matches(firstOrder, [order(-2 * DAY)])).toBe(true);
    expect(matches(firstOrder, [order(-2 * DAY), order(-DAY)])).toBe(true);
    expect(matches(firstOrder, [order(-20 * DAY), order(-DAY)])).toBe(false);
    expect(matches(firstOrder, [order(-7 * DAY), order(-DAY)])).toBe(false); // exactly at the start: outside (now − 7 days, now]
    expect(matches(firstOrder, [])).toBe(false);
  });

  it('flips off when the first order leaves the window, and explains the first time', () => {
    const verdict = realtime(firstOrder, [order(-2 * DAY), order(-DAY)]);
    expect(verdict).toMatchObject({ matches: true, nextChangeAt: at(5 * DAY) });
    const explained = explainSegment(rules(firstOrder), { traits: {}, events: [order(-2 * DAY)], otherSegments: new Set() }, NOW);
    expect(explained.root.values).toMatchObject({ kind: 'first_time', firstAt: new Date(at(-2 * DAY)).toISOString() });
  });
});

describe('stopped', () => {
  const lapsed: Condition = { type: 'stopped', event: 'Order Completed', active: '60d', quiet: '30d' };
  const order = (offset: number): Event => ({ name: 'Order Completed', timestamp: at(offset) });

  it('holds with an order in the active period and none in the quiet one', () => {
    expect(matches(lapsed, [order(-45 * DAY)])).toBe(true);
    expect(matches(lapsed, [order(-45 * DAY), order(-10 * DAY)])).toBe(false);
    expect(matches(lapsed, [order(-95 * DAY)])).toBe(false);
    expect(matches(lapsed, [order(-30 * DAY)])).toBe(true); // at now − quiet: the active period's last instant
    expect(matches(lapsed, [order(-90 * DAY)])).toBe(false); // at now − quiet − active: excluded
  });

  it('becomes true exactly when the quiet period has elapsed since the last order', () => {
    const verdict = realtime(lapsed, [order(-45 * DAY), order(-10 * DAY)]);
    expect(verdict).toEqual({ segmentId: 's', matches: false, nextChangeAt: at(20 * DAY) });
    expect(matches(lapsed, [order(-45 * DAY), order(-10 * DAY)], new Date(at(20 * DAY)))).toBe(true);
    expect(matches(lapsed, [order(-45 * DAY), order(-10 * DAY)], new Date(at(20 * DAY) - 1))).toBe(false);
  });

  it('explains the last active and quiet orders and when it flips (the active order ages out)', () => {
    const explained = explainSegment(rules(lapsed), { traits: {}, events: [order(-45 * DAY)], otherSegments: new Set() }, NOW);
    expect(explained.root).toMatchObject({
      matches: true,
      changesAt: new Date(at(45 * DAY)).toISOString(),
      values: {
        kind: 'stopped',
        activeSince: new Date(at(-90 * DAY)).toISOString(),
        quietSince: new Date(at(-30 * DAY)).toISOString(),
        lastActiveAt: new Date(at(-45 * DAY)).toISOString(),
        lastQuietAt: null,
      },
    });
  });
});

describe('regularly', () => {
  const view = (iso: string): Event => ({ name: 'Page Viewed', timestamp: Date.parse(iso) });

  it('ISO weeks start on Monday 00:00 UTC', () => {
    expect(new Date(periodStart(Date.parse('2026-06-03T12:00:00Z'), 'week')).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(new Date(periodStart(Date.parse('2026-05-31T23:59:59.999Z'), 'week')).toISOString()).toBe('2026-05-25T00:00:00.000Z');
    expect(new Date(periodStart(Date.parse('1969-12-31T10:00:00Z'), 'week')).toISOString()).toBe('1969-12-29T00:00:00.000Z');
  });

  it('counts distinct UTC days and weeks, not events', () => {
    const daily: Condition = { type: 'regularly', event: 'Page Viewed', window: 'last 7 days', per: 'day', atLeast: 3 };
    const sameDay = ['2026-06-02T01:00:00Z', '2026-06-02T02:00:00Z', '2026-06-02T23:59:59Z'].map(view);
    expect(matches(daily, sameDay)).toBe(false);
    expect(matches(daily, [...sameDay, view('2026-06-01T00:00:00Z'), view('2026-05-31T23:59:59Z')])).toBe(true);
    const weekly: Condition = { ...daily, per: 'week', window: 'last 28 days' };
    // Sunday 31 May and Monday 1 June are two ISO weeks; 2 June is the second again.
    const events = ['2026-05-31T23:00:00Z', '2026-06-01T00:30:00Z', '2026-06-02T00:00:00Z'].map(view);
    expect(matches(weekly, events)).toBe(false);
    expect(matches(weekly, [...events, view('2026-05-20T00:00:00Z')])).toBe(true);
    const explained = explainSegment(rules(weekly), { traits: {}, events, otherSegments: new Set() }, NOW);
    expect(explained.root.values).toMatchObject({
      kind: 'regularly',
      distinct: 2,
      atLeast: 3,
      periods: ['2026-05-25T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],
    });
  });
});

describe('lifecycle conditions in real time', () => {
  const definitions = Object.values(LIFECYCLE_EXAMPLES).map((example) => parseSegmentDefinition(example.definition) as RulesDefinition);

  it('load the events they read, as far back as they read', () => {
    const stoppedOnly = realtimeEventNeeds([definitions[2], definitions[3]]);
    expect(stoppedOnly.names).toEqual(['Order Completed', 'Page Viewed']);
    expect(stoppedOnly.sinceMs(NOW)).toBe(at(-90 * DAY));
    expect(realtimeEventNeeds([definitions[0]]).names).toEqual(['Demo Requested', 'Page Viewed']);
    expect(realtimeEventNeeds([definitions[0]]).sinceMs(NOW)).toBe(at(-30 * DAY));
    expect(realtimeEventNeeds([definitions[1]]).sinceMs(NOW)).toBeNull();
  });

  it('are refused where they read past the configured history, naming the field', () => {
    const limits = { historyDays: 60, now: NOW };
    expect(realtimeProblems(definitions[0], limits)).toEqual([]);
    expect(realtimeProblems(definitions[1], limits)).toEqual([
      { path: 'definition.match', message: expect.stringContaining('first_time reads the profile') },
    ]);
    expect(realtimeProblems(definitions[2], limits)).toEqual([
      { path: 'definition.match.active', message: expect.stringContaining('active + quiet reach back 90 days') },
    ]);
    expect(realtimeProblems(definitions[3], { historyDays: 7, now: NOW })).toEqual([
      { path: 'definition.match.window', message: expect.stringContaining('longer than 7 days') },
    ]);
    expect(definitions.flatMap((definition) => realtimeProblems(definition, {}))).toEqual([]);
  });
});

describe('lifecycle conditions are injection-proof', () => {
  it('binds every string field', () => {
    const hostile = "x'); DROP TABLE profiles; --";
    const where = [{ property: hostile, operator: 'equals' as const, value: hostile }];
    const definition = rules({
      type: 'all',
      conditions: [
        {
          type: 'sequence',
          steps: [
            { event: hostile, where },
            { event: hostile, where },
          ],
          within: '7d',
          window: 'last 7 days',
        },
        { type: 'first_time', event: hostile, where, window: 'last 7 days' },
        { type: 'stopped', event: hostile, where, active: '60d', quiet: '30d' },
        { type: 'regularly', event: hostile, where, window: 'last 7 days', per: 'week', atLeast: 2 },
      ],
    });
    const query = compileSegmentSql(definition, { now: NOW });
    expect(query.text).not.toContain('DROP');
    expect(query.text).not.toContain("'x'");
    expect(query.values.filter((value) => value === hostile).length).toBeGreaterThanOrEqual(5 + 4);
    expect(query.values).toContain(JSON.stringify(hostile));
    expect(Math.max(...(query.text.match(/\$\d+/g) ?? []).map((placeholder) => Number(placeholder.slice(1))))).toBe(query.values.length);
    for (const text of [`${hostile}d`, `7d'; --`])
      expect(() => parseSegmentDefinition({ type: 'rules', match: { type: 'stopped', event: 'A', active: text, quiet: '1d' } })).toThrow(
        SegmentDefinitionException,
      );
  });
});
