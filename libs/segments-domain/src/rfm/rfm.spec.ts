import { compileSegmentSql } from '../compile-segment-sql';
import { parseSegmentDefinition, SegmentDefinitionException } from '../rules/definition.schema';
import { evaluateSegment } from '../rules/evaluate';
import { segmentReferences } from '../rules/references';
import { INTENT_VALUE_CELLS, INTENT_VALUE_PLAYS } from '../value-matrix/value-matrix';
import { fitSpecification, isFittedDefinition } from '../models/model-definitions.schema';
import { allScoreTriples, DEFAULT_RFM_TIERS, rfmScoreCodes, rfmTierOf, rfmTierTableProblem, type RfmTierRule } from './rfm-tiers';

const NOW = new Date('2026-06-01T00:00:00Z');

function issues(raw: unknown): { path: string; message: string }[] {
  try {
    parseSegmentDefinition(raw);
  } catch (error) {
    if (error instanceof SegmentDefinitionException) return error.issues;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

describe('RFM tier table', () => {
  it('names every one of the 125 score combinations, with the tiers the field uses', () => {
    expect(rfmTierTableProblem(DEFAULT_RFM_TIERS)).toBeUndefined();
    expect(DEFAULT_RFM_TIERS.map((tier) => tier.name)).toEqual(
      expect.arrayContaining([
        'Champions',
        'At-risk high-value',
        'Low-value dormant',
        'Loyal',
        'Potential loyalist',
        'New',
        'Needs attention',
        'Hibernating',
      ]),
    );
    const counts = new Map<string, number>();
    for (const [r, f, m] of allScoreTriples()) {
      const key = rfmTierOf(DEFAULT_RFM_TIERS, r, f, m)?.key as string;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(125);
    expect(counts.size).toBe(DEFAULT_RFM_TIERS.length);
  });

  it.each([
    [5, 5, 5, 'champions'],
    [5, 4, 3, 'champions'], // fm = (4 + 3 + 1) / 2 = 4
    [1, 5, 5, 'at_risk_high_value'],
    [2, 4, 4, 'at_risk_high_value'],
    [1, 1, 1, 'low_value_dormant'],
    [2, 1, 2, 'hibernating'],
    [5, 1, 1, 'new'],
    [3, 3, 3, 'needs_attention'],
    [4, 5, 4, 'loyal'],
    [4, 2, 3, 'potential_loyalist'],
  ])('r%i f%i m%i is %s', (r, f, m, tier) => {
    expect(rfmTierOf(DEFAULT_RFM_TIERS, r, f, m)?.key).toBe(tier);
  });

  it('turns chosen tiers into the score codes the SQL filters on, first matching rule first', () => {
    expect(rfmScoreCodes(DEFAULT_RFM_TIERS, ['new'])).toEqual([511]); // fm = 1 only when f = m = 1
    const override: RfmTierRule[] = [
      { key: 'best', name: 'Best', r: [5, 5], f: [5, 5], m: [5, 5] },
      { key: 'rest', name: 'Everyone else' },
    ];
    expect(rfmScoreCodes(override, ['best'])).toEqual([555]);
    expect(rfmScoreCodes(override, ['rest'])).toHaveLength(124);
  });

  it('refuses an override table with a gap, a bad range or a duplicate key', () => {
    expect(rfmTierTableProblem([{ key: 'a', name: 'A', r: [4, 5] }])).toMatch(
      /leaves 75 score combination\(s\) without a tier \(e\.g\. r1 f1 m1/,
    );
    expect(rfmTierTableProblem([{ key: 'a', name: 'A', r: [5, 4] }])).toMatch(/tier "a": r must be/);
    expect(
      rfmTierTableProblem([
        { key: 'a', name: 'A' },
        { key: 'a', name: 'B' },
      ]),
    ).toMatch(/twice/);
  });
});

describe('RFM and intent × value definitions', () => {
  it('fill the documented defaults', () => {
    expect(parseSegmentDefinition({ type: 'rfm', tiers: ['champions'] })).toEqual({
      type: 'rfm',
      tiers: ['champions'],
      window: 'last 365 days',
      purchaseEvent: 'Order Completed',
      refundEvent: 'Order Refunded',
      revenueProperty: 'revenue',
    });
    expect(parseSegmentDefinition({ type: 'intent_value', cell: 'low_intent_high_value' })).toMatchObject({
      intent: { source: 'recency', minScore: 4 },
      value: { source: 'monetary', minScore: 4 },
    });
  });

  it('name the path of each mistake', () => {
    expect(issues({ type: 'rfm', tiers: ['champions', 'vips'] })).toEqual([
      { path: 'tiers.1', message: expect.stringMatching(/^is not a tier; known tiers: champions, loyal/) },
    ]);
    expect(issues({ type: 'rfm', tiers: ['a'], tierTable: [{ key: 'a', name: 'A', r: [5, 5] }] })).toEqual([
      { path: 'tierTable', message: expect.stringMatching(/without a tier/) },
    ]);
    expect(issues({ type: 'rfm', tiers: ['new'], window: 'last week or so' })[0].path).toBe('window');
    expect(issues({ type: 'intent_value', cell: 'medium' })[0].path).toBe('cell');
    expect(issues({ type: 'intent_value', cell: 'high_intent_high_value', intent: { source: 'recency', minScore: 9 } })[0].path).toBe(
      'intent.minScore',
    );
  });

  it('compile to one parameterised query: names and thresholds are bind values, never SQL text', () => {
    const hostile = `Order'); DROP TABLE events; --`;
    const query = compileSegmentSql(
      parseSegmentDefinition({ type: 'rfm', tiers: ['champions'], purchaseEvent: hostile, revenueProperty: 'a.b' }),
      { now: NOW },
    );
    expect(query.text).not.toContain('DROP');
    expect(query.values).toContain(hostile);
    expect(query.values).toContainEqual(['a', 'b']);
    expect(query.values).toContainEqual(rfmScoreCodes(DEFAULT_RFM_TIERS, ['champions']));
    expect(query.text).toMatch(/rank\(\) OVER \(ORDER BY b\.last_purchase_at\)/);
    expect((query.text.match(/\$\d+/g) ?? []).every((placeholder) => Number(placeholder.slice(1)) <= query.values.length)).toBe(true);
  });

  it('give each cell of the matrix its own condition and its recommended play', () => {
    const texts = INTENT_VALUE_CELLS.map(
      (cell) => compileSegmentSql(parseSegmentDefinition({ type: 'intent_value', cell }), { now: NOW }).text,
    );
    expect(new Set(texts).size).toBe(4);
    expect(INTENT_VALUE_PLAYS.high_intent_high_value.play).toBe('Owned channels, personalised offers');
    expect(INTENT_VALUE_PLAYS.high_intent_low_value.play).toBe('Paid retargeting with a frequency cap');
    expect(INTENT_VALUE_PLAYS.low_intent_high_value.play).toBe('Win-back journey');
    expect(INTENT_VALUE_PLAYS.low_intent_low_value.play).toBe('Suppress from paid media');
  });

  it('report the segment an intent comes from as a reference (for the cycle check)', () => {
    expect(
      segmentReferences(
        parseSegmentDefinition({
          type: 'intent_value',
          cell: 'high_intent_low_value',
          intent: { source: 'segment', segment: 'likely-buyers' },
        }),
      ),
    ).toEqual(['likely-buyers']);
    expect(segmentReferences(parseSegmentDefinition({ type: 'rfm', tiers: ['new'] }))).toEqual([]);
  });

  it('cannot be evaluated for one profile in memory (quintiles rank the whole population)', () => {
    expect(() =>
      evaluateSegment(parseSegmentDefinition({ type: 'rfm', tiers: ['new'] }), { traits: {}, events: [] }, { now: NOW }),
    ).toThrow(/cannot be evaluated/);
  });
});

describe('cluster and propensity definitions', () => {
  const cluster = {
    type: 'cluster',
    k: 4,
    cluster: 1,
    features: [
      { source: 'monetary', log1p: true },
      { source: 'trait', trait: 'address.age' },
    ],
  };

  it('parse with defaults, and split the fit from the pick', () => {
    const parsed = parseSegmentDefinition(cluster);
    expect(parsed).toMatchObject({
      population: 'purchasers',
      scaling: 'standard',
      imputation: 'median',
      seed: 1,
      restarts: 10,
      window: 'last 365 days',
    });
    if (!isFittedDefinition(parsed)) throw new Error('expected a fitted definition');
    expect(fitSpecification(parsed)).not.toHaveProperty('cluster');
    expect(fitSpecification(parseSegmentDefinition({ ...cluster, cluster: 3 }) as typeof parsed)).toEqual(fitSpecification(parsed));
  });

  it('refuse a pick outside k, duplicate feature names and an unknown source', () => {
    expect(issues({ ...cluster, cluster: 4 })).toEqual([
      { path: 'cluster', message: 'must be below k = 4 (clusters are numbered from 0)' },
    ]);
    expect(issues({ ...cluster, features: [{ source: 'frequency' }, { source: 'frequency' }] })[0]).toMatchObject({
      path: 'features.1.name',
    });
    expect(issues({ ...cluster, features: [{ source: 'clv' }] })[0].path).toBe('features.0.source');
    expect(
      issues({
        type: 'propensity',
        tier: 'top',
        features: [{ source: 'frequency' }],
        outcome: { event: 'Order Completed', withinDays: 0 },
      })[0].path,
    ).toBe('outcome.withinDays');
  });

  it('have no SQL of their own: their members need the stored model', () => {
    expect(() => compileSegmentSql(parseSegmentDefinition(cluster), { now: NOW })).toThrow(/stored model/);
  });
});
