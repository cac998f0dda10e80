import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { cupedDifference } from './cuped';

describe('cupedDifference (θ from numpy.cov on raw data, statsmodels zconfint_diff on adjusted values)', () => {
  it.each(fixtures.cuped.map((c, i) => ({ ...c, i })))('case $i: $metric, n = $treatment.n vs $control.n at alpha $alpha', (expected) => {
    const result = cupedDifference(expected.treatment, expected.control, expected.alpha);
    expectClose(result?.theta, expected.theta, 'theta');
    for (const kind of ['plain', 'adjusted'] as const) {
      const actual = result?.[kind];
      for (const key of ['estimate', 'lower', 'upper', 'z', 'pValue', 'standardError'] as const)
        expectClose(actual?.[key], expected[kind][key], `${kind}.${key}`);
    }
    expectClose(result?.varianceReduction, expected.varianceReduction, 'variance reduction');
  });

  it('narrows the interval when the pre-exposure KPI predicts the KPI', () => {
    for (const expected of fixtures.cuped) {
      const result = cupedDifference(expected.treatment, expected.control, expected.alpha);
      expect(result?.adjusted?.standardError).toBeLessThan(result?.plain.standardError ?? 0);
    }
  });

  it('reports no adjustment (theta null) when the covariate is constant', () => {
    const arm = { n: 10, sumY: 3, sumX: 10, sumYY: 3, sumXX: 10, sumXY: 3 };
    const result = cupedDifference(arm, { ...arm, sumY: 2, sumYY: 2, sumXY: 2 });
    expect(result).toMatchObject({ theta: null, adjusted: null, varianceReduction: null });
    expect(result?.plain.estimate).toBeCloseTo(0.1, 12);
  });

  it('refuses sums that are not from the same members', () => {
    const error = thrownBy(ExperimentationException, () =>
      cupedDifference({ n: 10, sumY: 3, sumX: 4, sumYY: 3, sumXX: 4, sumXY: 9 }, { n: 10, sumY: 3, sumX: 4, sumYY: 3, sumXX: 4, sumXY: 1 }),
    );
    expect(error).toMatchObject({ code: 'inconsistent_input', field: 'treatment.sumXY' });
  });
});
