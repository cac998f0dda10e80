import { expectAllClose, expectClose } from '../../fixtures/ml/assertions';
import { readFixture } from '../../fixtures/ml/datasets';
import { loadMarketingCampaign } from '../../fixtures/ml/marketing-campaign';
import { categoricalCodes, featureMatrix } from '../clustering/feature-matrix';
import { trainPropensityModel, scorePropensity } from './propensity-model';

/**
 * One-hot categorical features against scikit-learn (fixtures/ml/logistic-categorical.json, made by
 * make_fixtures.py): the 22 numeric columns of logistic.json plus Education (top 10 levels: all 5
 * kept) and Marital_Status (top 4 kept, Widow / Alone / Absurd / YOLO as other), every column
 * standardised, on scikit-learn's split.
 */
interface CategoricalFixture {
  categorical: Record<string, { topLevels: number; columns: string[] }>;
  columns: string[];
  coefficients: number[];
  intercept: number;
  scalerMeans: number[];
  scalerScales: number[];
  testScores: number[];
  testAuc: number;
  trainAuc: number;
}

const { fixture: numeric, matrix: numericMatrix, outcome, records } = loadMarketingCampaign();
const expected = readFixture<CategoricalFixture>('logistic-categorical.json');
const categoricalNames = Object.keys(expected.categorical);

/** The numeric matrix with the categorical columns appended as level codes. */
function withCategoricalColumns(rows: Record<string, string>[]): ReturnType<typeof featureMatrix> {
  const coded = categoricalNames.map((name) => categoricalCodes(rows.map((record) => (record[name] === '' ? null : record[name]))));
  const cols = numericMatrix.cols + coded.length;
  const data = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < numericMatrix.cols; j++) data[i * cols + j] = numericMatrix.data[i * numericMatrix.cols + j];
    coded.forEach((column, c) => (data[i * cols + numericMatrix.cols + c] = column.codes[i]));
  }
  return featureMatrix(data, rows.length, [...numericMatrix.names, ...categoricalNames], {
    categories: Object.fromEntries(categoricalNames.map((name, c) => [name, coded[c].levels])),
  });
}

describe('trainPropensityModel with one-hot categorical features (marketing_campaign.csv)', () => {
  const matrix = withCategoricalColumns(records);
  const topLevels = Object.fromEntries(categoricalNames.map((name) => [name, expected.categorical[name].topLevels]));
  const report = trainPropensityModel(matrix, outcome, { C: 1, split: numeric.split, preprocessing: { log1p: numeric.log1p, topLevels } });
  const byName = (names: readonly string[], values: ArrayLike<number>) => new Map(names.map((name, j) => [name, values[j]]));

  it('keeps the levels scikit-learn keeps, chosen on the training rows', () => {
    expect([...report.model.features].sort()).toEqual([...expected.columns].sort());
    expect(report.notes).toEqual(
      expect.arrayContaining([
        'Education: one-hot, 5 level(s) kept',
        expect.stringMatching(
          /^Marital_Status: one-hot, 4 level\(s\) kept, 4 rarer level\(s\) \(\d+ profile\(s\)\) as Marital_Status:other$/,
        ),
      ]),
    );
  });

  it('fits the same coefficients (1e-7), intercept and scaling, and the same held-out AUC', () => {
    const ours = byName(report.model.features, report.model.coefficients);
    expectAllClose(
      expected.columns.map((name) => ours.get(name) as number),
      expected.coefficients,
      1e-7,
      'coefficients',
    );
    expectClose(report.model.intercept, expected.intercept, 1e-7, 'intercept');
    const centers = byName(
      report.model.preprocessor.features.map((feature) => feature.name),
      report.model.preprocessor.features.map((feature) => feature.center),
    );
    expectAllClose(
      expected.columns.map((name) => centers.get(name) as number),
      expected.scalerMeans,
      1e-9,
      'centers',
    );
    expectClose(report.heldOutAuc, expected.testAuc, 1e-9, 'held-out AUC');
    expectClose(report.trainAuc, expected.trainAuc, 1e-9, 'train AUC');
    const scores = scorePropensity(report.model, matrix);
    expectAllClose(
      numeric.split.test.map((row) => scores[row]),
      expected.testScores,
      1e-6,
      'held-out scores',
    );
  });

  it('beats the numeric-only model on the same split (the reason for the feature)', () => {
    const numericOnly = trainPropensityModel(numericMatrix, outcome, {
      C: 1,
      split: numeric.split,
      preprocessing: { log1p: numeric.log1p },
    });
    expect(report.heldOutAuc).toBeGreaterThan(numericOnly.heldOutAuc + 0.02);
  });

  it('scores with the stored levels: a value never seen at fit time counts as "other", a missing one as no level', () => {
    const stored = JSON.parse(JSON.stringify(report.model)) as typeof report.model;
    const changed = records.slice(0, 3).map((record) => ({ ...record }));
    changed[0]['Marital_Status'] = 'Engaged'; // unseen: other
    changed[1]['Marital_Status'] = 'YOLO'; // rare at fit time: other
    changed[2]['Marital_Status'] = ''; // missing, and no missing level was seen at fit time: every column 0
    const fresh = withCategoricalColumns(changed);
    const reordered = scorePropensity(stored, fresh);
    const asOther = scorePropensity(stored, withCategoricalColumns(changed.map((record) => ({ ...record, Marital_Status: 'Widow' }))));
    expect(reordered[0]).toBeCloseTo(asOther[0], 12);
    expect(reordered[1]).toBeCloseTo(asOther[1], 12);
    expect(reordered[2]).not.toBeCloseTo(asOther[2], 6);
  });
});
