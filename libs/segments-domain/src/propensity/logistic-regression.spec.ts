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

describe('fitLogisticRegression Newton steps (rows summed in blocks of 8, then the remainder)', () => {
  /** One textbook Newton step per call: Hessian and gradient summed row by row, solved by Gaussian elimination. */
  function naiveNewton(data: Float64Array, rows: number, cols: number, y: Float64Array, C: number, steps: number): number[] {
    const size = cols + 1;
    const theta = new Array<number>(size).fill(0);
    for (let step = 0; step < steps; step++) {
      const h = Array.from({ length: size }, (_, a) => Array.from({ length: size }, (_, b) => (a === b && a < cols ? 1 : 0)));
      const g = theta.map((value, j) => (j < cols ? value : 0));
      for (let i = 0; i < rows; i++) {
        const x = [...data.subarray(i * cols, (i + 1) * cols), 1];
        const p = sigmoid(x.reduce((sum, value, j) => sum + value * theta[j], 0));
        for (let a = 0; a < size; a++) {
          g[a] += C * (p - y[i]) * x[a];
          for (let b = 0; b < size; b++) h[a][b] += C * p * (1 - p) * x[a] * x[b];
        }
      }
      // Gaussian elimination of h · d = g, then θ ← θ − d.
      for (let k = 0; k < size; k++) {
        for (let r = k + 1; r < size; r++) {
          const factor = h[r][k] / h[k][k];
          for (let c = k; c < size; c++) h[r][c] -= factor * h[k][c];
          g[r] -= factor * g[k];
        }
      }
      const d = new Array<number>(size).fill(0);
      for (let k = size - 1; k >= 0; k--) {
        let sum = g[k];
        for (let c = k + 1; c < size; c++) sum -= h[k][c] * d[c];
        d[k] = sum / h[k][k];
      }
      for (let j = 0; j < size; j++) theta[j] -= d[j];
    }
    return theta;
  }

  // 61 and 67 rows leave 5 and 3 rows after the last block of 8; 64 leave none.
  it.each([61, 64, 67])('%p rows: the first two steps equal textbook Newton steps to 1e-12', (rows) => {
    const cols = 5;
    let state = 12345;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const data = Float64Array.from({ length: rows * cols }, () => random() * 2 - 1);
    const y = Float64Array.from({ length: rows }, (_, i) => (random() < sigmoid(data[i * cols] - data[i * cols + 1]) ? 1 : 0));
    const matrix = featureMatrix(data, rows, ['a', 'b', 'c', 'd', 'e']);
    for (const steps of [1, 2]) {
      const fit = fitLogisticRegression(matrix, y, { C: 0.5, maxIterations: steps });
      const expected = naiveNewton(data, rows, cols, y, 0.5, steps);
      expectAllClose([...fit.coefficients, fit.intercept], expected, 1e-12, `θ after ${steps} step(s)`);
    }
  });
});
