import { RulesDefinition, SegmentDefinition, parseSegmentDefinition } from '../rules/definition.schema';
import { EXAMPLE_SEGMENTS } from '../rules/examples';
import { realtimeProblems, segmentReferencePaths } from './realtime-problems';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const limits = { historyDays: 30, now: NOW };

describe('realtimeProblems', () => {
  it.each([
    ['rfm', { type: 'rfm', tiers: ['champions'] }, 'ranks profiles against the whole population (quintiles)'],
    ['intent_value', { type: 'intent_value', cell: 'high_intent_high_value' }, 'ranks profiles against the whole population (quintiles)'],
    [
      'cluster',
      { type: 'cluster', k: 3, cluster: 0, features: [{ source: 'recency_days' }, { source: 'monetary' }] },
      'is scored by a fitted model over the population',
    ],
    [
      'propensity',
      { type: 'propensity', tier: 'top', outcome: { event: 'Order Completed', withinDays: 30 }, features: [{ source: 'recency_days' }] },
      'is scored by a fitted model over the population',
    ],
  ])('refuses a %s segment at definition.type', (type, raw, reason) => {
    const problems = realtimeProblems(parseSegmentDefinition(raw), {});
    expect(problems).toEqual([{ path: 'definition.type', message: expect.stringContaining(reason) }]);
    expect(problems[0].message).toContain(`a ${type} segment`);
    expect(problems[0].message).toContain('cannot be evaluated one profile at a time');
  });

  it('accepts any rules definition when no history limit is set', () => {
    expect(realtimeProblems(EXAMPLE_SEGMENTS.winBack.definition, {})).toEqual([]);
  });

  it('with a history limit, names every leaf that reads further back, by path, with the window and the limit', () => {
    const definition: RulesDefinition = {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'A', window: 'last 30 days' }, // exactly the limit: fine
          { type: 'event', event: 'A', window: 'last 31 days' },
          {
            type: 'any',
            conditions: [
              { type: 'frequency', event: 'A', window: 'ever', operator: 'at_least', value: 1 },
              { type: 'not', condition: { type: 'recency', event: 'A', operator: 'gt', days: 1 } },
            ],
          },
          { type: 'event', event: 'A', window: 'between 2026-05-02T12:00:00Z and 2026-07-01' }, // 30 days back: fine
          { type: 'event', event: 'A', window: 'between 2026-05-01 and 2026-05-10' },
          { type: 'trait', trait: 'plan', operator: 'exists' },
        ],
      },
    };
    const limit = 'real-time evaluation reads 30 days of history (AK_REALTIME_HISTORY_DAYS)';
    expect(realtimeProblems(definition, limits)).toEqual([
      { path: 'definition.match.conditions.1.window', message: `window "last 31 days" is longer than 30 days; ${limit}` },
      { path: 'definition.match.conditions.2.conditions.0.window', message: `window "ever" reads the profile's whole history; ${limit}` },
      {
        path: 'definition.match.conditions.2.conditions.1.condition',
        message: `recency reads the profile's whole history (the last event ever); ${limit}`,
      },
      {
        path: 'definition.match.conditions.4.window',
        message: `window "between 2026-05-01 and 2026-05-10" starts 31.5 days before now; ${limit}`,
      },
    ]);
  });

  it('refuses a history limit that is not positive', () => {
    expect(() => realtimeProblems(EXAMPLE_SEGMENTS.cartAbandoner.definition, { historyDays: 0, now: NOW })).toThrow(RangeError);
    expect(() => realtimeProblems(EXAMPLE_SEGMENTS.cartAbandoner.definition, { historyDays: 30 })).toThrow('needs now');
  });
});

describe('segmentReferencePaths', () => {
  it('gives the path of every segment condition', () => {
    const definition: SegmentDefinition = {
      type: 'rules',
      match: {
        type: 'any',
        conditions: [
          { type: 'segment', segment: 'vip' },
          { type: 'not', condition: { type: 'segment', segment: 'batch' } },
          { type: 'trait', trait: 'plan', operator: 'exists' },
        ],
      },
    };
    expect(segmentReferencePaths(definition)).toEqual([
      { path: 'definition.match.conditions.0', segment: 'vip' },
      { path: 'definition.match.conditions.1.condition', segment: 'batch' },
    ]);
    expect(segmentReferencePaths({ type: 'rules', match: { type: 'segment', segment: 'x' } })).toEqual([
      { path: 'definition.match', segment: 'x' },
    ]);
  });

  it("gives an intent × value cell's intent segment", () => {
    const definition = parseSegmentDefinition({
      type: 'intent_value',
      cell: 'high_intent_high_value',
      intent: { source: 'segment', segment: 'likely' },
    });
    expect(segmentReferencePaths(definition)).toEqual([{ path: 'definition.intent.segment', segment: 'likely' }]);
  });
});
