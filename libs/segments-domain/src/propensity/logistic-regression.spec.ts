import { expectAllClose, expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { loadMarketingCampaign } from '../../fixtures/ml/marketing-campaign';
import { featureMatrix, selectRows } from '../clustering/feature-matrix';
import { fitTransform } from '../clustering/preprocessing';
import { fitLogisticRegression, sigmoid } from './logistic-regression';
import { PropensityException } from './propensity.exception';

describe('fitLogisticRegression against scikit-learn (marketing_campaign.csv)', () => {
  const { fixture, matrix, outcome } = loadMarketingCampaign();
  const train = selectRows(matrix, fixture.split.train);
  const standardised = fitTransform(train, { log1p: fixture.log1p }).matrix;
  const trainOutcome = Float64Array.from(fixture.split.train, (row) => outcome[row]);

  it.each(fixture.cases.map((testCase) => [testCase.C, testCase] as const))(
    'C = %p: same coefficients and intercept within 1e-6',
    (C, testCase) => {
      const fit = fitLogisticRegression(standardised, trainOutcome, { C });
      expect(fit.converged).toBe(true);
      expectAllClose(fit.coefficients, testCase.coefficients, 1e-6, 'coefficients');
      expectClose(fit.intercept, testCase.intercept, 1e-6, 'intercept');
    },
  );

  it('penalises more with a smaller C', () => {
    const norm = (C: number) => fitLogisticRegression(standardised, trainOutcome, { C }).coefficients.reduce((sum, w) => sum + w * w, 0);
    expect(norm(0.01)).toBeLessThan(norm(1));
  });
});

describe('fitLogisticRegression', () => {
  it('leaves the intercept unpenalised: with no signal it is the log-odds of the base rate', () => {
    const x = featureMatrix(Float64Array.from([1, -1, 1, -1, 1, -1, 1, -1]), 8, ['noise']);
    const y = [1, 1, 0, 0, 0, 0, 0, 0];
    const fit = fitLogisticRegression(x, y, { C: 1 });
    expect(fit.coefficients[0]).toBeCloseTo(0, 10);
    expect(sigmoid(fit.intercept)).toBeCloseTo(0.25, 10);
  });

  it('stays finite on separable data thanks to the penalty', () => {
    const x = featureMatrix(Float64Array.from([-2, -1, 1, 2]), 4, ['x']);
    const fit = fitLogisticRegression(x, [0, 0, 1, 1], { C: 100 });
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.coefficients[0])).toBe(true);
    expect(fit.coefficients[0]).toBeGreaterThan(1);
  });

  it('computes the sigmoid without overflow', () => {
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(0)).toBe(0.5);
  });

  describe('bad input', () => {
    const x = featureMatrix(Float64Array.from([1, 2, 3, 4]), 4, ['x']);
    const thrown = (work: () => unknown) => thrownBy(PropensityException, work);

    it('refuses an outcome with a single class', () => {
      expect(thrown(() => fitLogisticRegression(x, [1, 1, 1, 1]))).toMatchObject({ code: 'single_class', field: 'outcome' });
    });

    it('refuses a non-binary outcome and a length mismatch', () => {
      expect(thrown(() => fitLogisticRegression(x, [0, 1, 2, 0]))).toMatchObject({ code: 'invalid_outcome', field: 'outcome' });
      expect(thrown(() => fitLogisticRegression(x, [0, 1]))).toMatchObject({ code: 'shape_mismatch' });
    });

    it('refuses a non-positive C and missing features', () => {
      expect(thrown(() => fitLogisticRegression(x, [0, 1, 0, 1], { C: 0 }))).toMatchObject({ code: 'invalid_option', field: 'C' });
      const missing = featureMatrix(Float64Array.from([1, Number.NaN, 3, 4]), 4, ['x']);
      expect(thrown(() => fitLogisticRegression(missing, [0, 1, 0, 1]))).toMatchObject({ code: 'non_finite' });
    });
  });
});
