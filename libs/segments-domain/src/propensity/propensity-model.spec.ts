import { expectAllClose, expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { loadMarketingCampaign } from '../../fixtures/ml/marketing-campaign';
import { featureMatrix, featureMatrixFromColumns, selectRows } from '../clustering/feature-matrix';
import { mulberry32 } from '../clustering/random';
import { trainPropensityModel, scorePropensity, type PropensityModel, type PropensityReport } from './propensity-model';
import { PropensityException } from './propensity.exception';
import { assignTiers, quantileThresholds } from './tiers';

const { fixture, matrix, outcome, records } = loadMarketingCampaign();
const thrown = (work: () => unknown) => thrownBy(PropensityException, work);

describe('trainPropensityModel on marketing_campaign.csv (label Response)', () => {
  it('reads the 2,240 customers and their 334 responses', () => {
    expect(matrix.rows).toBe(2240);
    expect(outcome.reduce((a, b) => a + b, 0)).toBe(334);
  });

  it.each(fixture.cases.map((testCase) => [testCase.C, testCase] as const))(
    'C = %p on scikit-learn’s split: same coefficients (1e-5) and held-out AUC',
    (C, testCase) => {
      const report = trainPropensityModel(matrix, outcome, { C, split: fixture.split, preprocessing: { log1p: fixture.log1p } });
      expectAllClose(report.model.coefficients, testCase.coefficients, 1e-5, 'coefficients');
      expectClose(report.model.intercept, testCase.intercept, 1e-5, 'intercept');
      expect(Math.abs(report.heldOutAuc - testCase.testAuc)).toBeLessThan(0.005);
      expectClose(report.trainAuc, testCase.trainAuc, 1e-6, 'train AUC');
      expect(report.split).toMatchObject({ train: 1680, test: 560, method: 'given', seed: null });
      expect(report.notes.some((note) => note.startsWith('Income:'))).toBe(true);
    },
  );

  describe('with its own seeded stratified split', () => {
    const report = trainPropensityModel(matrix, outcome, { seed: 1, preprocessing: { log1p: fixture.log1p } });

    it('predicts the response well on held-out customers and keeps the class balance', () => {
      expect(report.heldOutAuc).toBeGreaterThan(0.8);
      expect(report.split).toMatchObject({ train: 1679, test: 561, trainPositives: 250, testPositives: 84, method: 'stratified', seed: 1 });
      expect(report.model.heldOutAuc).toBe(report.heldOutAuc);
    });

    it('reports a decile reliability table whose top decile responds most', () => {
      const { bins } = report.calibration;
      expect(bins).toHaveLength(10);
      expect(bins.map((bin) => bin.count).reduce((a, b) => a + b, 0)).toBe(561);
      expect(bins[9].observedRate).toBeGreaterThan(bins[0].observedRate);
      expect(bins[9].observedRate).toBeGreaterThan(0.4);
      expect(report.calibration.expectedCalibrationError).toBeLessThan(0.1);
    });

    it('reports weights in standardised and original units', () => {
      const recency = report.weights.find((weight) => weight.feature === 'Recency');
      const feature = report.model.preprocessor.features.find((entry) => entry.name === 'Recency');
      expect(recency?.standardised).toBeLessThan(0); // customers who bought recently respond more
      expect(recency?.perOriginalUnit).toBeCloseTo((recency?.standardised ?? 0) / (feature?.scale ?? 1), 12);
      expect(report.weights.find((weight) => weight.feature === 'MntWines')?.transform).toBe('log1p');
      const magnitudes = report.weights.map((weight) => Math.abs(weight.standardised));
      expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
    });

    it('scores with the stored model, after a JSON round trip, identically', () => {
      const stored = JSON.parse(JSON.stringify(report.model)) as PropensityModel;
      const scores = scorePropensity(stored, matrix);
      const originalIntercept = report.originalUnitsIntercept;
      // The same score from original-unit weights: shows the conversion is consistent.
      const row = 7;
      const features = stored.preprocessor.features;
      const z = features.reduce((sum, feature) => {
        const raw = matrix.data[row * matrix.cols + matrix.names.indexOf(feature.name)];
        const value = Number.isNaN(raw) ? feature.fillValue : raw;
        return (
          sum +
          (report.weights.find((weight) => weight.feature === feature.name)?.perOriginalUnit ?? 0) *
            (feature.log1p ? Math.log1p(value) : value)
        );
      }, originalIntercept);
      expect(scores[row]).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
      expect(Array.from(scorePropensity(report.model, selectRows(matrix, [row])))).toEqual([scores[row]]);
    });

    it('bands scores into top, middle and bottom tiers that differ in response', () => {
      const scores = scorePropensity(report.model, matrix);
      const { tiers, counts } = assignTiers(scores, quantileThresholds(scores, { topShare: 0.2, bottomShare: 0.5 }));
      expect(counts).toEqual({ top: 448, middle: 672, bottom: 1120 });
      const rate = (tier: string) => {
        const members = tiers.map((value, i) => (value === tier ? outcome[i] : -1)).filter((value) => value >= 0);
        return members.reduce((a, b) => a + b, 0) / members.length;
      };
      expect(rate('top')).toBeGreaterThan(rate('middle'));
      expect(rate('middle')).toBeGreaterThan(rate('bottom'));
    });
  });
});

describe('trainPropensityModel refuses', () => {
  it('a model whose held-out AUC is below the floor, with the report attached', () => {
    const random = mulberry32(2);
    const noise = featureMatrix(
      Float64Array.from({ length: 2240 * 3 }, () => random()),
      2240,
      ['a', 'b', 'c'],
    );
    const error = thrownBy(PropensityException<PropensityReport>, () => trainPropensityModel(noise, outcome, { seed: 3, aucFloor: 0.6 }));
    expect(error).toMatchObject({ code: 'auc_below_floor', field: 'aucFloor' });
    expect(error.report?.heldOutAuc).toBeLessThan(0.6);
    expect(error.report?.calibration.bins).toHaveLength(10);
    expect(
      thrown(() => trainPropensityModel(matrix, outcome, { seed: 1, aucFloor: 0.99, preprocessing: { log1p: fixture.log1p } })),
    ).toMatchObject({
      code: 'auc_below_floor',
    });
  });

  it('an outcome with a single class, overall or in the held-out part', () => {
    expect(thrown(() => trainPropensityModel(matrix, new Float64Array(2240)))).toMatchObject({ code: 'single_class', field: 'outcome' });
    const negatives = fixture.split.test.filter((row) => outcome[row] === 0);
    const rest = Array.from({ length: 2240 }, (_, row) => row).filter((row) => !negatives.includes(row));
    expect(
      thrown(() =>
        trainPropensityModel(matrix, outcome, { split: { train: rest, test: negatives }, preprocessing: { log1p: fixture.log1p } }),
      ),
    ).toMatchObject({
      code: 'single_class',
      field: 'split.test',
    });
  });

  it('a non-binary outcome and an outcome of the wrong length', () => {
    const graded = Float64Array.from(outcome, (value, i) => (i === 5 ? 2 : value));
    expect(thrown(() => trainPropensityModel(matrix, graded))).toMatchObject({ code: 'invalid_outcome' });
    expect(thrown(() => trainPropensityModel(matrix, outcome.subarray(1)))).toMatchObject({ code: 'shape_mismatch' });
  });

  it('a constant feature, naming it', () => {
    const withConstant = featureMatrixFromColumns({
      Recency: Float64Array.from(records, (record) => Number(record.Recency)),
      Z_CostContact: Float64Array.from(records, (record) => Number(record.Z_CostContact)),
    });
    expect(thrown(() => trainPropensityModel(withConstant, outcome))).toMatchObject({ code: 'constant_feature', field: 'Z_CostContact' });
  });

  it('missing incomes when the imputation policy is reject', () => {
    expect(thrown(() => trainPropensityModel(matrix, outcome, { preprocessing: { imputation: 'reject' } }))).toMatchObject({
      code: 'missing_values',
      field: 'Income',
    });
  });

  it('an AUC floor outside [0, 1]', () => {
    expect(thrown(() => trainPropensityModel(matrix, outcome, { aucFloor: 1.5 }))).toMatchObject({
      code: 'invalid_option',
      field: 'aucFloor',
    });
  });
});
