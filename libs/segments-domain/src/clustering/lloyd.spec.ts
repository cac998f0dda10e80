import { expectAllClose } from '../../fixtures/ml/assertions';
import { featureMatrix, type MatrixLike } from './feature-matrix';
import { kmeansPlusPlus } from './kmeans';
import { lloyd, scanNearest } from './lloyd';
import { mulberry32, standardNormal } from './random';

/**
 * Textbook Lloyd with scikit-learn's conventions (full scans, sums recounted every iteration, the
 * same empty-cluster relocation), as the reference the bounded version must reproduce.
 */
function plainLloyd(matrix: MatrixLike, k: number, initial: Float64Array, maxIterations: number) {
  const { data, rows: n, cols: d } = matrix;
  let centroids = Float64Array.from(initial);
  const labels = new Int32Array(n).fill(-1);
  const nearestOf = (i: number, centres: Float64Array) => {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      let distance = 0;
      for (let j = 0; j < d; j++) distance += (data[i * d + j] - centres[c * d + j]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [c, distance];
    }
    return best;
  };
  let iterations = 0;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const best = nearestOf(i, centroids);
      if (best !== labels[i]) changed++;
      labels[i] = best;
      counts[best]++;
      for (let j = 0; j < d; j++) sums[best * d + j] += data[i * d + j];
    }
    if (counts.some((count) => count === 0)) throw new Error('reference does not relocate empty clusters; pick other data');
    centroids = sums.map((sum, index) => sum / counts[Math.floor(index / d)]);
    iterations = iteration + 1;
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) labels[i] = nearestOf(i, centroids);
  return { labels, centroids, iterations };
}

function dataset(rows: number, d: number, seed: number, integers: boolean): MatrixLike {
  const random = mulberry32(seed);
  const data = new Float64Array(rows * d).map(() => (integers ? Math.floor(random() * 12) : standardNormal(random)));
  return featureMatrix(
    data,
    rows,
    Array.from({ length: d }, (_, j) => `x${j}`),
  );
}

describe('lloyd (Hamerly-bounded) reproduces plain Lloyd', () => {
  it.each([
    ['real values, 2 features, k = 7', 3000, 2, 7, false],
    ['real values, 6 features, k = 8', 3000, 6, 8, false],
    ['integer grid with many exact ties, k = 5', 2000, 3, 5, true],
    ['integer grid, 1 feature, k = 3', 500, 1, 3, true],
  ] as const)('%s', (_name, rows, d, k, integers) => {
    for (const seed of [1, 2, 3]) {
      const matrix = dataset(rows, d, seed, integers);
      const initial = kmeansPlusPlus(matrix, k, mulberry32(seed + 100));
      const expected = plainLloyd(matrix, k, initial, 300);
      const actual = lloyd(matrix, k, initial, 300, 0);
      expect(actual.iterations).toBe(expected.iterations);
      expect(Array.from(actual.labels)).toEqual(Array.from(expected.labels));
      expectAllClose(actual.centroids, expected.centroids, 1e-12, 'centroids');
    }
  });

  it('runs past the periodic recount of cluster sums (more than 20 iterations) without drifting', () => {
    const matrix = dataset(4000, 2, 9, false);
    const initial = kmeansPlusPlus(matrix, 9, mulberry32(4));
    const expected = plainLloyd(matrix, 9, initial, 300);
    expect(expected.iterations).toBeGreaterThan(20);
    const actual = lloyd(matrix, 9, initial, 300, 0);
    expect(actual.iterations).toBe(expected.iterations);
    expect(Array.from(actual.labels)).toEqual(Array.from(expected.labels));
    expectAllClose(actual.centroids, expected.centroids, 1e-12, 'centroids');
  });
});

describe('scanNearest', () => {
  it('gives ties to the lower index and reports the two smallest squared distances', () => {
    const centres = Float64Array.from([5, 1, -1, 1, 3, 0, 7]); // 7 one-dimensional centres: not a multiple of 4
    const nearest = new Float64Array(2);
    expect(scanNearest(Float64Array.from([0]), 0, centres, 7, 1, nearest)).toBe(5);
    expect(Array.from(nearest)).toEqual([0, 1]);
    // Distances 9, 1, 9, 1, 1, 4, 25: three-way tie, the first wins.
    expect(scanNearest(Float64Array.from([2]), 0, centres, 7, 1, nearest)).toBe(1);
    expect(Array.from(nearest)).toEqual([1, 1]);
  });
});
