import { expectAllClose, expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { mallCustomers, numericColumn, readFixture } from '../../fixtures/ml/datasets';
import { ClusteringException } from './clustering.exception';
import { featureMatrix, featureMatrixFromColumns } from './feature-matrix';
import { fitTransform } from './preprocessing';
import { mulberry32, standardNormal } from './random';
import { silhouetteSamples, silhouetteScore } from './silhouette';

interface SilhouetteCase {
  name: string;
  columns: string[];
  scaling: 'none' | 'standard';
  labels: number[];
  score: number;
  samples: number[];
}

const fixture = readFixture<{ silhouettes: SilhouetteCase[] }>('silhouette-ari.json');
const mall = mallCustomers();

describe('silhouette against scikit-learn (Mall_Customers.csv)', () => {
  it.each(fixture.silhouettes.map((testCase) => [testCase.name, testCase] as const))(
    '%s: same score and per-row values',
    (_name, testCase) => {
      const raw = featureMatrixFromColumns(Object.fromEntries(testCase.columns.map((name) => [name, numericColumn(mall, name)])));
      const matrix = testCase.scaling === 'standard' ? fitTransform(raw).matrix : raw;
      const result = silhouetteScore(matrix, testCase.labels);
      expect(result).toMatchObject({ exact: true, sampleSize: 200, rows: 200 });
      expectClose(result.score, testCase.score, 1e-9, 'silhouette');
      expectAllClose(silhouetteSamples(matrix, testCase.labels), testCase.samples, 1e-9, 'silhouette samples');
    },
  );

  it('scores a row alone in its cluster 0', () => {
    const singleton = fixture.silhouettes.find((testCase) => testCase.name === 'income-score-raw-singleton') as SilhouetteCase;
    const matrix = featureMatrixFromColumns(Object.fromEntries(singleton.columns.map((name) => [name, numericColumn(mall, name)])));
    expect(silhouetteSamples(matrix, singleton.labels)[0]).toBe(0);
  });
});

describe('sampled silhouette', () => {
  // Three overlapping blobs in 4 dimensions, labelled by the blob they came from.
  const rows = 9_000;
  const random = mulberry32(21);
  const data = new Float64Array(rows * 4);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) data[i * 4 + j] = (j === labels[i] ? 3 : 0) + standardNormal(random);
  }
  const matrix = featureMatrix(data, rows, ['a', 'b', 'c', 'd']);

  it('is exact up to the sample size and says so', () => {
    expect(silhouetteScore(matrix, labels, { sampleSize: rows })).toMatchObject({ exact: true, sampleSize: rows, rows });
  });

  it('estimates the exact score from a reported sample', () => {
    const exact = silhouetteScore(matrix, labels, { sampleSize: rows }).score;
    const sampled = silhouetteScore(matrix, labels, { sampleSize: 2_000, seed: 4 });
    expect(sampled).toMatchObject({ exact: false, sampleSize: 2_000, rows });
    expect(Math.abs(sampled.score - exact)).toBeLessThan(0.02);
    expect(silhouetteScore(matrix, labels, { sampleSize: 2_000, seed: 4 }).score).toBe(sampled.score);
  });
});

describe('silhouette bad input', () => {
  const matrix = featureMatrix(Float64Array.from([0, 0, 1, 1, 5, 5, 6, 6]), 4, ['x', 'y']);
  const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);

  it('needs at least two clusters', () => {
    expect(thrown(() => silhouetteScore(matrix, [0, 0, 0, 0]))).toMatchObject({ code: 'invalid_labels', field: 'labels' });
  });

  it('needs fewer clusters than rows', () => {
    expect(thrown(() => silhouetteScore(matrix, [0, 1, 2, 3]))).toMatchObject({ code: 'invalid_labels' });
  });

  it('needs one label per row', () => {
    expect(thrown(() => silhouetteScore(matrix, [0, 1]))).toMatchObject({ code: 'shape_mismatch' });
  });

  it('needs integer labels and a usable sample size', () => {
    expect(thrown(() => silhouetteScore(matrix, [0, 0.5, 1, 1]))).toMatchObject({ code: 'invalid_labels' });
    expect(thrown(() => silhouetteScore(matrix, [0, 0, 1, 1], { sampleSize: 1 }))).toMatchObject({
      code: 'invalid_option',
      field: 'sampleSize',
    });
  });
});
