import { expectAllClose, thrownBy } from '../../fixtures/ml/assertions';
import { marketingCampaign, numericColumn, readFixture } from '../../fixtures/ml/datasets';
import { ClusteringException } from './clustering.exception';
import { featureMatrixFromColumns, selectRows } from './feature-matrix';
import { applyPreprocessor, fitPreprocessor, fitTransform, imputeOnly, median } from './preprocessing';

interface LogisticFixture {
  features: string[];
  log1p: string[];
  split: { train: number[] };
  cases: { imputedMedians: number[]; scalerMeans: number[]; scalerScales: number[] }[];
}

const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);

describe('preprocessing against scikit-learn (marketing_campaign.csv)', () => {
  const fixture = readFixture<LogisticFixture>('logistic.json');
  const records = marketingCampaign();

  it('imputes the median, log-transforms and standardises like SimpleImputer + log1p + StandardScaler', () => {
    expect(records).toHaveLength(2240);
    const matrix = featureMatrixFromColumns(Object.fromEntries(fixture.features.map((name) => [name, numericColumn(records, name)])));
    const preprocessor = fitPreprocessor(selectRows(matrix, fixture.split.train), { scaling: 'standard', log1p: fixture.log1p });
    const [reference] = fixture.cases;
    expect(preprocessor.features.map((feature) => feature.fillValue)).toEqual(reference.imputedMedians);
    expectAllClose(
      preprocessor.features.map((feature) => feature.center),
      reference.scalerMeans,
      1e-12,
      'means',
    );
    expectAllClose(
      preprocessor.features.map((feature) => feature.scale),
      reference.scalerScales,
      1e-12,
      'scales',
    );
    const income = preprocessor.features.find((feature) => feature.name === 'Income');
    expect(income?.missingCount).toBeGreaterThan(0);
    expect(preprocessor.notes.some((note) => note.startsWith('Income:') && note.includes('median'))).toBe(true);
  });

  it('refuses the constant columns of the data set, naming them', () => {
    const matrix = featureMatrixFromColumns({
      Income: numericColumn(records, 'Income'),
      Z_CostContact: numericColumn(records, 'Z_CostContact'),
    });
    expect(thrown(() => fitPreprocessor(matrix))).toMatchObject({ code: 'constant_feature', field: 'Z_CostContact' });
  });
});

describe('preprocessing', () => {
  const matrix = featureMatrixFromColumns({ spend: [0, 10, null, 1000, 90], visits: [1, 2, 3, 4, 5], flat: [7, 7, 7, 7, 7] });

  it('scales min-max into [0, 1]', () => {
    const { matrix: scaled } = fitTransform(featureMatrixFromColumns({ visits: [2, 4, 6] }), { scaling: 'minmax' });
    expect(Array.from(scaled.data)).toEqual([0, 0.5, 1]);
  });

  it('standardises to mean 0 and population std 1', () => {
    const { matrix: scaled } = fitTransform(featureMatrixFromColumns({ visits: [1, 2, 3, 4, 5] }));
    const values = Array.from(scaled.data);
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(values.reduce((a, b) => a + b * b, 0) / values.length).toBeCloseTo(1, 12);
  });

  it('imputes missing values with the median (or mean) and reports it', () => {
    const median = fitPreprocessor(matrix, { constantFeatures: 'drop' });
    expect(median.features[0]).toMatchObject({ name: 'spend', fillValue: 50, missingCount: 1 });
    expect(median.notes).toContain('spend: 1 missing value(s) imputed with the median 50');
    const mean = fitPreprocessor(matrix, { constantFeatures: 'drop', imputation: 'mean' });
    expect(mean.features[0].fillValue).toBe(275);
  });

  it('drops a constant feature with a note when asked, and refuses it by default', () => {
    expect(thrown(() => fitPreprocessor(matrix))).toMatchObject({ code: 'constant_feature', field: 'flat' });
    const preprocessor = fitPreprocessor(matrix, { constantFeatures: 'drop' });
    expect(preprocessor.features.map((feature) => feature.name)).toEqual(['spend', 'visits']);
    expect(preprocessor.dropped).toEqual([{ name: 'flat', reason: 'has the same value for every profile' }]);
    expect(applyPreprocessor(preprocessor, matrix).names).toEqual(['spend', 'visits']);
  });

  it('refuses missing values when the policy is reject, and a feature with no values at all', () => {
    expect(thrown(() => fitPreprocessor(matrix, { imputation: 'reject', constantFeatures: 'drop' }))).toMatchObject({
      code: 'missing_values',
      field: 'spend',
    });
    expect(thrown(() => fitPreprocessor(featureMatrixFromColumns({ a: [null, null], b: [1, 2] })))).toMatchObject({
      code: 'missing_values',
      field: 'a',
    });
  });

  it('refuses infinite values and log1p of values at or below -1', () => {
    expect(thrown(() => fitPreprocessor(featureMatrixFromColumns({ a: [1, Infinity, 3] })))).toMatchObject({
      code: 'non_finite',
      field: 'a',
    });
    expect(thrown(() => fitPreprocessor(featureMatrixFromColumns({ refund: [-5, 10, 20] }), { log1p: ['refund'] }))).toMatchObject({
      code: 'invalid_value',
      field: 'refund',
    });
    expect(thrown(() => fitPreprocessor(matrix, { log1p: ['nope'] }))).toMatchObject({ code: 'unknown_feature', field: 'nope' });
  });

  it('log-transforms before scaling, and applies the stored transform to new rows (imputing them too)', () => {
    const preprocessor = fitPreprocessor(matrix, { log1p: ['spend'], constantFeatures: 'drop', scaling: 'none' });
    const fresh = featureMatrixFromColumns({ visits: [9, null], spend: [Math.E - 1, null], extra: [1, 2] });
    const applied = applyPreprocessor(preprocessor, fresh);
    expect(applied.names).toEqual(['spend', 'visits']);
    expect(applied.data[0]).toBeCloseTo(1, 12);
    expect(applied.data[2]).toBeCloseTo(Math.log1p(50), 12);
    expect(applied.data[3]).toBe(3);
    expect(Array.from(imputeOnly(preprocessor, fresh).data)).toEqual([Math.E - 1, 9, 50, 3]);
  });

  it('refuses rows without a model feature when applying', () => {
    const preprocessor = fitPreprocessor(matrix, { constantFeatures: 'drop' });
    expect(thrown(() => applyPreprocessor(preprocessor, featureMatrixFromColumns({ spend: [1] })))).toMatchObject({
      code: 'unknown_feature',
      field: 'visits',
    });
  });

  it('medians equal the middle of a full sort (random lengths, many ties, negatives, infinities)', () => {
    let state = 7;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 500; trial++) {
      const length = 1 + Math.floor(random() * 60);
      const spread = [2, 10, 1000][trial % 3];
      const values = Float64Array.from({ length }, () => {
        const u = random();
        return u < 0.02 ? -Infinity : u > 0.98 ? Infinity : Math.floor((u - 0.5) * spread) / 4;
      });
      const sorted = Float64Array.from(values).sort();
      const middle = length >> 1;
      const expected = length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
      const before = Float64Array.from(values);
      expect(median(values)).toEqual(expected);
      expect(values).toEqual(before); // the input is not reordered
    }
  });

  it('computes numpy medians', () => {
    expect(median(Float64Array.from([3, 1, 2]))).toBe(2);
    expect(median(Float64Array.from([4, 1, 3, 2]))).toBe(2.5);
  });
});
