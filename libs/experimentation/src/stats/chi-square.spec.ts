import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { contingencyChiSquare, sampleRatioMismatch } from './chi-square';

describe('sampleRatioMismatch (scipy chisquare against total × shares)', () => {
  it.each(fixtures.srm)('$observed against $shares', ({ observed, shares, statistic, pValue }) => {
    const result = sampleRatioMismatch(observed, shares);
    expectClose(result?.statistic, statistic, 'statistic');
    expectClose(result?.pValue, pValue, 'p-value');
    expect(result?.mismatch).toBe(pValue < 0.001);
  });

  it('flags a broken 10/90 split and passes a healthy one', () => {
    expect(sampleRatioMismatch([1_180, 9_000], [0.1, 0.9])?.mismatch).toBe(true);
    expect(sampleRatioMismatch([1_000, 9_040], [0.1, 0.9])?.mismatch).toBe(false);
  });

  it('uses a configurable threshold', () => {
    const result = sampleRatioMismatch([1_000, 9_300], [0.1, 0.9], 0.5);
    expect(result?.pValue).toBeLessThan(0.5);
    expect(result?.mismatch).toBe(true);
  });

  it('is null with no members, and refuses shares outside (0, 1) or not summing to 1', () => {
    expect(sampleRatioMismatch([0, 0], [0.1, 0.9])).toBeNull();
    expect(thrownBy(ExperimentationException, () => sampleRatioMismatch([5, 5], [0, 1]))).toMatchObject({
      code: 'invalid_share',
      field: 'shares[0]',
    });
    expect(thrownBy(ExperimentationException, () => sampleRatioMismatch([5, 5], [0.2, 0.7]))).toMatchObject({
      code: 'invalid_share',
      field: 'shares',
    });
  });
});

describe('contingencyChiSquare (scipy chi2_contingency, correction=False)', () => {
  it.each(fixtures.contingency)('$table', ({ table, statistic, degreesOfFreedom, pValue }) => {
    const result = contingencyChiSquare(table);
    expectClose(result.statistic, statistic, 'statistic');
    expect(result.degreesOfFreedom).toBe(degreesOfFreedom);
    expectClose(result.pValue, pValue, 'p-value');
  });

  it('refuses a table with an empty row', () => {
    expect(
      thrownBy(ExperimentationException, () =>
        contingencyChiSquare([
          [0, 0],
          [3, 4],
        ]),
      ).field,
    ).toBe('table');
  });
});
