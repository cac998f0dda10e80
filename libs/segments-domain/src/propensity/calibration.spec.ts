import { thrownBy } from '../../fixtures/ml/assertions';
import { reliabilityTable } from './calibration';
import { PropensityException } from './propensity.exception';

describe('reliabilityTable', () => {
  it('cuts sorted scores into equal bins with mean prediction and observed rate', () => {
    const scores = [0.9, 0.1, 0.2, 0.8, 0.3, 0.7];
    const outcome = [1, 0, 0, 1, 1, 0];
    const report = reliabilityTable(scores, outcome, 3);
    expect(report.bins.map(({ count, positives }) => [count, positives])).toEqual([
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
    expect(report.bins[0]).toMatchObject({ minScore: 0.1, maxScore: 0.2, observedRate: 0 });
    expect(report.bins[0].meanPredicted).toBeCloseTo(0.15, 12);
    expect(report.bins[2].meanPredicted).toBeCloseTo(0.85, 12);
    const brier = scores.reduce((sum, score, i) => sum + (score - outcome[i]) ** 2, 0) / scores.length;
    expect(report.brierScore).toBeCloseTo(brier, 12);
    expect(report.expectedCalibrationError).toBeCloseTo((2 / 6) * (0.15 + 0 + 0.15), 12);
  });

  it('spreads a remainder over the bins', () => {
    const scores = Array.from({ length: 23 }, (_, i) => i / 23);
    const report = reliabilityTable(
      scores,
      scores.map((_, i) => i % 2),
      10,
    );
    expect(report.bins.map((bin) => bin.count).reduce((a, b) => a + b, 0)).toBe(23);
    expect(Math.max(...report.bins.map((bin) => bin.count)) - Math.min(...report.bins.map((bin) => bin.count))).toBeLessThanOrEqual(1);
  });

  it('refuses fewer scores than bins and mismatched inputs', () => {
    const thrown = (work: () => unknown) => thrownBy(PropensityException, work);
    expect(thrown(() => reliabilityTable([0.1, 0.2], [0, 1], 10))).toMatchObject({ code: 'too_few_rows' });
    expect(thrown(() => reliabilityTable([0.1, 0.2], [0], 1))).toMatchObject({ code: 'shape_mismatch' });
    expect(thrown(() => reliabilityTable([0.1, 0.2], [0, 1], 0))).toMatchObject({ code: 'invalid_option', field: 'calibrationBins' });
  });
});
