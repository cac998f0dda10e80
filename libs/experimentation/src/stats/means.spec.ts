import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { welchTTest } from './means';

describe('welchTTest from (n, Σy, Σy²) (statsmodels CompareMeans on the raw data, usevar="unequal")', () => {
  it.each(fixtures.welch.map((c, i) => ({ ...c, i })))('case $i: n = $treatment.n vs $control.n at alpha $alpha', (expected) => {
    const result = welchTTest(expected.treatment, expected.control, expected.alpha);
    expectClose(result?.estimate, expected.estimate, 'difference');
    expectClose(result?.t, expected.t, 't');
    expectClose(result?.degreesOfFreedom, expected.degreesOfFreedom, 'degrees of freedom');
    expectClose(result?.pValue, expected.pValue, 'p-value');
    expectClose(result?.lower, expected.lower, 'lower');
    expectClose(result?.upper, expected.upper, 'upper');
  });

  it('is null with fewer than 2 members in an arm or no variance at all', () => {
    expect(welchTTest({ n: 1, sum: 3, sumOfSquares: 9 }, { n: 5, sum: 10, sumOfSquares: 30 })).toBeNull();
    expect(welchTTest({ n: 3, sum: 6, sumOfSquares: 12 }, { n: 2, sum: 4, sumOfSquares: 8 })).toBeNull();
  });

  it('refuses sums that cannot come from one set of values', () => {
    const error = thrownBy(ExperimentationException, () =>
      welchTTest({ n: 4, sum: 10, sumOfSquares: 5 }, { n: 5, sum: 10, sumOfSquares: 30 }),
    );
    expect(error).toMatchObject({ code: 'inconsistent_input', field: 'treatment.sumOfSquares' });
  });
});
