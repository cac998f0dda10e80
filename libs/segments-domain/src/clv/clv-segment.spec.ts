import { onlineRetailOrderLines, readClvFixture } from '../../fixtures/clv/online-retail';
import { expectAllClose } from '../../fixtures/ml/assertions';
import { compileSegmentSql } from '../compile-segment-sql';
import { realtimeProblems } from '../realtime/realtime-problems';
import { parseSegmentDefinition, SegmentDefinitionException, type SegmentDefinition } from '../rules/definition.schema';
import { type ClvDefinition, clvFitSpecification, clvOrderSource, sameClvFit } from './clv-definition.schema';
import { clvTiers, predictClv } from './clv-model';
import { clvSummariesOf, fitClvSegment, scoreClvSegment, type ClvOrderRow } from './clv-segment';
import { compileClvOrdersSql } from './compile-clv-sql';

const minimal = { type: 'clv', amountProperty: 'revenue', horizonDays: 90, tier: 'top' };

function issuePaths(raw: unknown): string[] {
  try {
    parseSegmentDefinition(raw);
  } catch (error) {
    if (error instanceof SegmentDefinitionException) return [...new Set(error.issues.map((issue) => issue.path))];
    throw error;
  }
  throw new Error('the definition was accepted');
}

describe('clv segment definition', () => {
  it('parses with defaults: Order Completed, order_id, tiers 20 % / 50 %, no discount', () => {
    expect(parseSegmentDefinition(minimal)).toEqual({
      type: 'clv',
      orderEvent: 'Order Completed',
      amountProperty: 'revenue',
      orderIdProperty: 'order_id',
      horizonDays: 90,
      tierShares: { topShare: 0.2, bottomShare: 0.5 },
      tier: 'top',
    });
  });

  it('refuses bad options naming the field', () => {
    expect(issuePaths({ ...minimal, horizonDays: 0 })).toEqual(['horizonDays']);
    expect(issuePaths({ ...minimal, horizonDays: 1.5 })).toEqual(['horizonDays']);
    expect(issuePaths({ ...minimal, amountProperty: undefined })).toEqual(['amountProperty']);
    expect(issuePaths({ ...minimal, amountProperty: 'lines.0' })).toEqual(['amountProperty']);
    expect(issuePaths({ ...minimal, orderIdProperty: '' })).toEqual(['orderIdProperty']);
    expect(issuePaths({ ...minimal, tier: 'best' })).toEqual(['tier']);
    expect(issuePaths({ ...minimal, monthlyDiscountRate: -0.01 })).toEqual(['monthlyDiscountRate']);
    expect(issuePaths({ ...minimal, tierShares: { topShare: 0.6, bottomShare: 0.5 } })).toEqual(['tierShares.bottomShare']);
    expect(issuePaths({ ...minimal, features: [] })).toEqual(['']);
  });

  it('is refused for real time and has no SQL of its own', () => {
    const definition = parseSegmentDefinition(minimal) as SegmentDefinition;
    expect(realtimeProblems(definition)).toEqual([{ path: 'definition.type', message: expect.stringContaining('fitted model') }]);
    expect(() => compileSegmentSql(definition, { now: new Date() })).toThrow(/stored model/);
  });

  it('fit specification leaves out only the tier; order source maps the names', () => {
    const top = parseSegmentDefinition(minimal) as ClvDefinition;
    const bottom = parseSegmentDefinition({ ...minimal, tier: 'bottom' }) as ClvDefinition;
    expect(clvFitSpecification(top)).toEqual(clvFitSpecification(bottom));
    expect(clvFitSpecification(parseSegmentDefinition({ ...minimal, horizonDays: 30 }) as ClvDefinition)).not.toEqual(
      clvFitSpecification(top),
    );
    // A stored definition comes back from jsonb with its keys reordered: still the same fit.
    const reordered = Object.fromEntries(Object.entries({ ...minimal, tier: 'bottom' }).reverse());
    expect(sameClvFit(reordered, top)).toBe(true);
    expect(sameClvFit({ ...minimal, horizonDays: 30 }, top)).toBe(false);
    expect(sameClvFit({ type: 'propensity' }, top)).toBe(false);
    expect(clvOrderSource({ ...top, orderIdProperty: 'checkout.id' })).toEqual({
      purchaseEvent: 'Order Completed',
      revenueProperty: 'revenue',
      orderIdProperty: 'checkout.id',
    });
  });

  it('binds the order id path and the one-profile filter in the orders SQL', () => {
    const sql = compileClvOrdersSql({ orderIdProperty: 'checkout.id' }, { now: new Date('2024-01-01T00:00:00Z'), profileId: "x' OR 1=1" });
    expect(sql.values).toContainEqual(['checkout', 'id']);
    expect(sql.values).toContain("x' OR 1=1");
    expect(sql.text).not.toContain('checkout');
    expect(sql.text).not.toContain('OR 1=1');
  });
});

describe('fitClvSegment / scoreClvSegment on online_retail_sample.csv', () => {
  const fixture = readClvFixture();
  const now = new Date(fixture.calibrationEnd);
  const rows: ClvOrderRow[] = onlineRetailOrderLines().map((line) => ({
    profile_id: line.customerId,
    order_id: line.orderId,
    ordered_at: new Date(line.time),
    amount: String(line.amount),
  }));
  const definition = parseSegmentDefinition({ ...minimal, monthlyDiscountRate: 0.01 }) as ClvDefinition;
  const stored = fitClvSegment(definition, rows, now);

  it('stores the scipy reference parameters, the horizon, the rate and thresholds cut on the predicted value', () => {
    expect(stored).toMatchObject({ kind: 'clv', fittedAt: now.toISOString(), horizonDays: 90, monthlyDiscountRate: 0.01, profiles: 3546 });
    const { r, alpha, a, b } = fixture.bgnbd;
    expectAllClose([stored.model.bgNbd.r, stored.model.bgNbd.alpha, stored.model.bgNbd.a, stored.model.bgNbd.b], [r, alpha, a, b], 1e-6);
    const { p, q, v } = fixture.gammaGamma;
    expectAllClose([stored.model.gammaGamma.p, stored.model.gammaGamma.q, stored.model.gammaGamma.v], [p, q, v], 1e-6);
    expect(stored.tierCounts.top).toBe(Math.ceil(0.2 * 3546));
    expect(stored.tierCounts.top + stored.tierCounts.middle + stored.tierCounts.bottom).toBe(3546);
  });

  it('scores the same customers into the same tiers at the fit time, with the library predictions', () => {
    const scores = scoreClvSegment(stored, rows, now);
    expect(scores.map((score) => score.profileId)).toEqual(fixture.customers);
    const counts = { top: 0, middle: 0, bottom: 0 };
    for (const score of scores) counts[score.tier] += 1;
    expect(counts).toEqual(stored.tierCounts);
    const predictions = predictClv(stored.model, clvSummariesOf(rows, now), { horizonDays: 90, monthlyDiscountRate: 0.01 });
    expect(scores.map((score) => score.clv)).toEqual(predictions.map((prediction) => prediction.clv));
    expect(scores.map((score) => score.probabilityAlive)).toEqual(predictions.map((prediction) => prediction.probabilityAlive));
    expect(clvTiers(predictions, definition.tierShares).thresholds).toEqual(stored.thresholds);
    expect(scoreClvSegment(stored, [], now)).toEqual([]);
  });
});
