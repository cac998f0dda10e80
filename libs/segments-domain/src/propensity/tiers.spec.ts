import { thrownBy } from '../../fixtures/ml/assertions';
import { PropensityException } from './propensity.exception';
import { assignTiers, quantileThresholds } from './tiers';

describe('score tiers', () => {
  const scores = Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100);

  it('puts the top and bottom shares of scores in the top and bottom tiers', () => {
    const thresholds = quantileThresholds(scores, { topShare: 0.2, bottomShare: 0.5 });
    const { tiers, counts } = assignTiers(scores, thresholds);
    expect(counts).toEqual({ top: 20, middle: 30, bottom: 50 });
    expect(tiers[99]).toBe('top');
    expect(tiers[0]).toBe('bottom');
    expect(tiers[60]).toBe('middle');
  });

  it('keeps equal scores in the same tier', () => {
    const tied = [0.1, 0.2, 0.5, 0.5, 0.5, 0.9];
    const { tiers } = assignTiers(tied, quantileThresholds(tied, { topShare: 0.34, bottomShare: 0.34 }));
    expect(new Set(tiers.slice(2, 5)).size).toBe(1);
  });

  it('bands with fixed thresholds', () => {
    expect(assignTiers([0.05, 0.2, 0.6], { top: 0.5, bottom: 0.1 }).tiers).toEqual(['bottom', 'middle', 'top']);
  });

  it('refuses bad shares, inverted thresholds and non-finite scores', () => {
    const thrown = (work: () => unknown) => thrownBy(PropensityException, work);
    expect(thrown(() => quantileThresholds(scores, { topShare: 0 }))).toMatchObject({ code: 'invalid_option', field: 'topShare' });
    expect(thrown(() => quantileThresholds(scores, { topShare: 0.6, bottomShare: 0.6 }))).toMatchObject({ code: 'invalid_option' });
    expect(thrown(() => quantileThresholds([], {}))).toMatchObject({ code: 'too_few_rows' });
    expect(thrown(() => assignTiers([0.5], { top: 0.1, bottom: 0.5 }))).toMatchObject({ code: 'invalid_option', field: 'thresholds' });
    expect(thrown(() => assignTiers([Number.NaN], { top: 0.5, bottom: 0.1 }))).toMatchObject({ code: 'non_finite' });
  });
});
