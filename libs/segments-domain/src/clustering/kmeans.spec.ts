import { expectAllClose, expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { mallCustomers, numericColumn, readFixture } from '../../fixtures/ml/datasets';
import { adjustedRandIndex } from './adjusted-rand-index';
import { ClusteringException } from './clustering.exception';
import { featureMatrix, featureMatrixFromColumns, type FeatureMatrix } from './feature-matrix';
import { assignToNearest, kmeans, kmeansPlusPlus } from './kmeans';
import { fitTransform } from './preprocessing';
import { mulberry32, standardNormal } from './random';

interface KMeansCase {
  name: string;
  columns: string[];
  scaling: 'none' | 'standard';
  k: number;
  initialCentroids: number[][];
  inertia: number;
  iterations: number;
  labels: number[];
  centroids: number[][];
  bestOf50RestartsInertia: number;
}

const fixture = readFixture<{ cases: KMeansCase[] }>('kmeans.json');
const mall = mallCustomers();

function caseMatrix(testCase: KMeansCase): FeatureMatrix {
  const raw = featureMatrixFromColumns(Object.fromEntries(testCase.columns.map((name) => [name, numericColumn(mall, name)])));
  return testCase.scaling === 'standard' ? fitTransform(raw, { scaling: 'standard' }).matrix : raw;
}

/** Well-separated Gaussian blobs with known membership. */
function blobs(perCluster: number, centres: number[][], spread: number, seed: number): { matrix: FeatureMatrix; truth: Int32Array } {
  const random = mulberry32(seed);
  const d = centres[0].length;
  const data = new Float64Array(perCluster * centres.length * d);
  const truth = new Int32Array(perCluster * centres.length);
  centres.forEach((centre, c) => {
    for (let p = 0; p < perCluster; p++) {
      const row = c * perCluster + p;
      truth[row] = c;
      for (let j = 0; j < d; j++) data[row * d + j] = centre[j] + spread * standardNormal(random);
    }
  });
  return {
    matrix: featureMatrix(
      data,
      truth.length,
      centres[0].map((_, j) => `x${j}`),
    ),
    truth,
  };
}

describe('kmeans against scikit-learn (same initial centres, Mall_Customers.csv)', () => {
  it('reads the 200 Mall customers', () => {
    expect(mall).toHaveLength(200);
  });

  it.each(fixture.cases.map((testCase) => [testCase.name, testCase] as const))(
    '%s: same inertia, centroids, labels and iterations',
    (_name, testCase) => {
      const result = kmeans(caseMatrix(testCase), testCase.k, { initialCentroids: testCase.initialCentroids });
      expectClose(result.inertia, testCase.inertia, 1e-9, 'inertia');
      expectAllClose(result.centroids, testCase.centroids.flat(), 1e-9, 'centroids');
      expect(Array.from(result.labels)).toEqual(testCase.labels);
      expect(result.iterations).toBe(testCase.iterations);
      expect(result.converged).toBe(true);
      expect(Array.from(result.sizes).reduce((a, b) => a + b, 0)).toBe(200);
    },
  );

  it.each(fixture.cases.map((testCase) => [testCase.name, testCase] as const))(
    '%s: k-means++ with 10 restarts reaches the best inertia of 50 scikit-learn restarts',
    (_name, testCase) => {
      const result = kmeans(caseMatrix(testCase), testCase.k, { seed: 1 });
      expectClose(result.inertia, testCase.bestOf50RestartsInertia, 1e-9, 'inertia');
      expect(result.restartInertias).toHaveLength(10);
      expect(result.inertia).toBe(Math.min(...result.restartInertias));
    },
  );

  it('assigns rows to stored centroids exactly as the fit did', () => {
    const testCase = fixture.cases[1];
    const matrix = caseMatrix(testCase);
    const fit = kmeans(matrix, testCase.k, { initialCentroids: testCase.initialCentroids });
    const assigned = assignToNearest(matrix, fit.centroids, testCase.k);
    expect(Array.from(assigned.labels)).toEqual(testCase.labels);
    expectClose(assigned.inertia, testCase.inertia, 1e-9, 'inertia');
  });
});

describe('kmeans', () => {
  const centres = [
    [0, 0, 0],
    [10, 0, 0],
    [0, 10, 0],
    [0, 0, 10],
  ];

  it('recovers well-separated clusters exactly', () => {
    const { matrix, truth } = blobs(250, centres, 1, 9);
    const result = kmeans(matrix, 4, { seed: 3 });
    expect(adjustedRandIndex(result.labels, truth)).toBe(1);
    expect(Array.from(result.sizes).sort()).toEqual([250, 250, 250, 250]);
  });

  it('is reproducible from its seed', () => {
    const { matrix } = blobs(100, centres, 4, 2);
    const first = kmeans(matrix, 5, { seed: 11, nInit: 3 });
    const second = kmeans(matrix, 5, { seed: 11, nInit: 3 });
    expect(Array.from(second.labels)).toEqual(Array.from(first.labels));
    expect(Array.from(second.centroids)).toEqual(Array.from(first.centroids));
    expect(second.restartInertias).toEqual(first.restartInertias);
  });

  it('k-means++ picks k distinct data rows as centres', () => {
    const { matrix } = blobs(50, centres, 1, 4);
    const chosen = kmeansPlusPlus(matrix, 4, mulberry32(5));
    const rows = new Set<string>();
    for (let c = 0; c < 4; c++) rows.add(Array.from(chosen.subarray(c * 3, c * 3 + 3)).join());
    expect(rows.size).toBe(4);
    // Spread-out seeding: one centre near each blob.
    const { labels } = assignToNearest(featureMatrix(Float64Array.from(centres.flat()), 4, ['a', 'b', 'c']), chosen, 4);
    expect(new Set(labels).size).toBe(4);
  });

  it('stops at maxIterations and reports it did not converge', () => {
    const { matrix } = blobs(200, centres, 6, 8);
    const result = kmeans(matrix, 6, { maxIterations: 1, seed: 2, nInit: 1 });
    expect(result.iterations).toBe(1);
    expect(result.converged).toBe(false);
  });
});

describe('kmeans bad input', () => {
  const small = featureMatrix(Float64Array.from([1, 2, 3, 4, 5, 6]), 3, ['a', 'b']);

  const thrown = (work: () => unknown) => thrownBy(ClusteringException, work);

  it('refuses fewer profiles than clusters', () => {
    expect(thrown(() => kmeans(small, 4))).toMatchObject({ code: 'too_few_rows', field: 'k' });
  });

  it('refuses fewer distinct profiles than clusters', () => {
    const duplicates = featureMatrix(Float64Array.from([1, 1, 1, 1, 2, 2, 2, 2]), 4, ['a', 'b']);
    expect(thrown(() => kmeans(duplicates, 3))).toMatchObject({ code: 'too_few_distinct_points', field: 'k' });
  });

  it('refuses missing and infinite values (impute first)', () => {
    expect(thrown(() => kmeans(featureMatrix(Float64Array.from([1, Number.NaN, 3, 4]), 2, ['a', 'b']), 1))).toMatchObject({
      code: 'missing_values',
    });
    expect(thrown(() => kmeans(featureMatrix(Float64Array.from([1, Infinity, 3, 4]), 2, ['a', 'b']), 1))).toMatchObject({
      code: 'non_finite',
    });
  });

  it.each([0, 1.5, -2])('refuses k = %p', (k) => {
    expect(thrown(() => kmeans(small, k))).toMatchObject({ code: 'invalid_option', field: 'k' });
  });

  it('refuses initial centres of the wrong shape', () => {
    expect(thrown(() => kmeans(small, 2, { initialCentroids: [[1, 2]] }))).toMatchObject({
      code: 'invalid_option',
      field: 'initialCentroids',
    });
    expect(thrown(() => kmeans(small, 2, { initialCentroids: [[1], [2]] }))).toMatchObject({
      code: 'invalid_option',
      field: 'initialCentroids',
    });
  });

  it('refuses bad iteration settings', () => {
    expect(thrown(() => kmeans(small, 2, { nInit: 0 }))).toMatchObject({ code: 'invalid_option', field: 'nInit' });
    expect(thrown(() => kmeans(small, 2, { maxIterations: 0 }))).toMatchObject({ code: 'invalid_option', field: 'maxIterations' });
    expect(thrown(() => kmeans(small, 2, { tolerance: -1 }))).toMatchObject({ code: 'invalid_option', field: 'tolerance' });
  });
});
