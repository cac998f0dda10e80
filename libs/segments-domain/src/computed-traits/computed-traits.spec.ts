import {
  compileComputedTraitRefresh,
  compileComputedTraitSelect,
  ComputedTraitDefinitionException,
  computedTraitRealtimeProblems,
  computeTraitValue,
  nextTraitChange,
  parseComputedTraitDefinition,
} from './index';
import { compileSegmentSql } from '../compile-segment-sql';
import { computedTraitReferencePaths } from '../rules/computed-trait-condition';
import { parseSegmentDefinition, SegmentDefinitionException } from '../rules/definition.schema';
import { evaluateSegment } from '../rules/evaluate';
import { explainSegment } from '../realtime/explain-segment';
import { evaluateProfileRealtime } from '../realtime/evaluate-realtime';

const now = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;

function issuesOf(work: () => unknown): { path: string; message: string }[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ComputedTraitDefinitionException || error instanceof SegmentDefinitionException) return error.issues;
    throw error;
  }
  throw new Error('expected a definition error');
}

describe('computed trait definitions', () => {
  it('name the path and the reason of every mistake', () => {
    expect(
      issuesOf(() => parseComputedTraitDefinition({ function: 'sum', event: 'Order Completed', window: 'last 9 fortnights' })),
    ).toEqual([
      { path: 'window', message: expect.stringContaining('does not parse') },
      { path: 'property', message: 'is required for function sum (or signal)' },
    ]);
    expect(
      issuesOf(() => parseComputedTraitDefinition({ function: 'median', event: '', window: 'ever', extra: 1 })).map((issue) => issue.path),
    ).toEqual(expect.arrayContaining(['function', 'event', '']));
    expect(
      issuesOf(() =>
        parseComputedTraitDefinition({
          function: 'count',
          event: 'x',
          window: 'ever',
          where: [{ property: 'items.0', operator: 'in', value: [] }],
        }),
      ).map((issue) => issue.path),
    ).toEqual(['where.0.property', 'where.0.value']);
  });

  it('binds every user value: hostile strings never reach the SQL text', () => {
    const hostile = "x'); DROP TABLE profiles; --";
    const definition = parseComputedTraitDefinition({
      function: 'most_frequent',
      event: hostile,
      property: `${hostile}.y`,
      where: [{ property: hostile, operator: 'contains', value: hostile }],
      window: 'last 7 days',
    });
    for (const query of [
      compileComputedTraitSelect(definition, { now }),
      compileComputedTraitRefresh(
        definition,
        { traitId: '00000000-0000-4000-8000-000000000001', version: 1, key: hostile, computedAt: now },
        { now },
      ),
      compileSegmentSql(
        parseSegmentDefinition({ type: 'rules', match: { type: 'computed_trait', key: hostile, operator: 'not_equals', value: hostile } }),
        {
          now,
        },
      ),
    ]) {
      expect(query.text).not.toContain('DROP');
      expect(query.values).toEqual(expect.arrayContaining([hostile]));
    }
  });

  it('a real-time trait may not read past the loaded history', () => {
    const ever = parseComputedTraitDefinition({ function: 'count', event: 'x', window: 'ever' });
    expect(computedTraitRealtimeProblems(ever, {})).toEqual([]);
    expect(computedTraitRealtimeProblems(ever, { historyDays: 90, now })).toEqual([
      { path: 'definition.window', message: expect.stringContaining('whole history') },
    ]);
    expect(computedTraitRealtimeProblems({ ...ever, window: 'last 30 days' }, { historyDays: 90, now })).toEqual([]);
  });

  it('a sliding window changes the value with no new event: the next instant is when an event leaves (or a future one enters)', () => {
    const definition = parseComputedTraitDefinition({ function: 'count', event: 'x', window: 'last 7 days' });
    const events = [
      { id: 1, name: 'x', timestamp: now.getTime() - 2 * DAY },
      { id: 2, name: 'x', timestamp: now.getTime() - 5 * DAY },
      { id: 3, name: 'y', timestamp: now.getTime() - 6 * DAY },
    ];
    expect(computeTraitValue(definition, events, now)).toBe(2);
    const next = nextTraitChange(definition, events, now) as number;
    expect(next).toBe(now.getTime() + 2 * DAY);
    expect(computeTraitValue(definition, events, new Date(next))).toBe(1);
    expect(computeTraitValue(definition, events, new Date(next - 1))).toBe(2);
    expect(nextTraitChange({ ...definition, window: 'between 2026-01-01 and 2026-02-01' }, events, now)).toBeNull();
  });
});

describe('the computed_trait rule condition', () => {
  const rules = (match: unknown) => parseSegmentDefinition({ type: 'rules', match });

  it('is validated like a trait condition, and listed with its path', () => {
    expect(issuesOf(() => rules({ type: 'computed_trait', key: 'ltv', operator: 'gt' })).map((issue) => issue.path)).toEqual([
      'match.value',
    ]);
    const definition = rules({
      type: 'all',
      conditions: [
        { type: 'trait', trait: 'plan', operator: 'exists' },
        { type: 'not', condition: { type: 'computed_trait', key: 'orders_90d', operator: 'gte', value: 3 } },
      ],
    });
    expect(computedTraitReferencePaths(definition)).toEqual([{ path: 'definition.match.conditions.1.condition', key: 'orders_90d' }]);
  });

  it('reads the profile value in memory, in the prepared real-time evaluator and in explain (missing = not equal)', () => {
    const cases: [unknown, Record<string, unknown> | undefined, boolean][] = [
      [{ type: 'computed_trait', key: 'orders', operator: 'gte', value: 3 }, { orders: 3 }, true],
      [{ type: 'computed_trait', key: 'orders', operator: 'gte', value: 3 }, { orders: '3' }, false],
      [{ type: 'computed_trait', key: 'orders', operator: 'not_equals', value: 3 }, undefined, true],
      [{ type: 'computed_trait', key: 'constructor', operator: 'exists' }, {}, false],
      [{ type: 'computed_trait', key: 'fav', operator: 'in', value: ['shoes', 'golf'] }, { fav: 'golf' }, true],
    ];
    for (const [match, computedTraits, expected] of cases) {
      const definition = rules(match);
      expect(evaluateSegment(definition, { traits: {}, events: [], computedTraits }, { now })).toBe(expected);
      const [verdict] = evaluateProfileRealtime(
        [{ id: 's', key: 's', definition: definition as never }],
        { traits: {}, events: [], otherSegments: new Set(), computedTraits },
        now,
      );
      expect(verdict.matches).toBe(expected);
      const explained = explainSegment(definition as never, { traits: {}, events: [], otherSegments: new Set(), computedTraits }, now);
      expect(explained.root).toMatchObject({ matches: expected, type: 'computed_trait', changesAt: null });
    }
  });
});

describe('computed traits over text signals (issue #24)', () => {
  const at = (days: number) => now.getTime() - days * DAY;
  const events = [
    {
      id: 1,
      name: 'Review Submitted',
      timestamp: at(10),
      properties: { signals: 'a property, not the signals' },
      signals: { sentiment: { compound: -0.6, label: 'negative', negative: 1 }, tags: ['price-sensitive'] },
    },
    {
      id: 2,
      name: 'Review Submitted',
      timestamp: at(5),
      properties: {},
      signals: { sentiment: { compound: 0.4, label: 'positive', negative: 0 }, tags: [] },
    },
    { id: 3, name: 'Review Submitted', timestamp: at(1), properties: {}, signals: null },
    {
      id: 4,
      name: 'Review Submitted',
      timestamp: at(200),
      properties: {},
      signals: { sentiment: { compound: -0.9, label: 'negative', negative: 1 }, tags: ['price-sensitive'] },
    },
  ];

  it("reads `signal` from the event's signals and `where` signal filters, never a property of the same name", () => {
    const avg = parseComputedTraitDefinition({
      function: 'avg',
      event: 'Review Submitted',
      signal: 'sentiment.compound',
      window: 'last 90 days',
    });
    expect(computeTraitValue(avg, events, now)).toBe(-0.1);
    const last = parseComputedTraitDefinition({ function: 'last', event: 'Review Submitted', signal: 'sentiment.label', window: 'ever' });
    expect(computeTraitValue(last, events, now)).toBe('positive'); // the unscored event 3 has no value
    const seen = parseComputedTraitDefinition({
      function: 'count',
      event: 'Review Submitted',
      where: [{ signal: 'tags', operator: 'contains', value: 'price-sensitive' }],
      window: 'ever',
    });
    expect(computeTraitValue(seen, events, now)).toBe(2);
    const property = parseComputedTraitDefinition({ function: 'last', event: 'Review Submitted', property: 'signals', window: 'ever' });
    expect(computeTraitValue(property, events, now)).toBe('a property, not the signals');
  });

  it('compiles signals to e.signals with bound paths, and refuses property and signal together or a filter with neither', () => {
    const compiled = compileComputedTraitSelect(
      parseComputedTraitDefinition({
        function: 'avg',
        event: 'Review Submitted',
        signal: 'sentiment.compound',
        where: [
          { signal: 'tags', operator: 'contains', value: 'eco' },
          { property: 'rating', operator: 'lte', value: 2 },
        ],
        window: 'last 90 days',
      }),
      { now },
    );
    expect(compiled.text).toContain('e.signals #> $');
    expect(compiled.text).toContain('e.signals -> $');
    expect(compiled.text).toContain('e.properties -> $');
    expect(compiled.values).toEqual(expect.arrayContaining([['sentiment', 'compound'], 'tags', 'rating']));
    expect(
      issuesOf(() => parseComputedTraitDefinition({ function: 'last', event: 'x', property: 'a', signal: 'b', window: 'ever' })),
    ).toEqual([{ path: 'signal', message: 'give property or signal, not both' }]);
    expect(
      issuesOf(() => parseComputedTraitDefinition({ function: 'count', event: 'x', where: [{ operator: 'exists' }], window: 'ever' })),
    ).toEqual([{ path: 'where.0.property', message: 'exactly one of property and signal is required' }]);
  });

  it('is never real time: signals arrive after the event', () => {
    const definition = parseComputedTraitDefinition({
      function: 'avg',
      event: 'Review Submitted',
      signal: 'sentiment.compound',
      window: 'last 7 days',
    });
    expect(computedTraitRealtimeProblems(definition, { historyDays: 90, now })).toEqual([
      { path: 'definition', message: expect.stringContaining('text signals') },
    ]);
  });
});
