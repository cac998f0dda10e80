import { ClusteringException } from './clustering.exception';
import { type MatrixLike } from './feature-matrix';
import { assignRows, lloyd, squaredDistance, type LloydRun } from './lloyd';
import { mulberry32, nextSeed, randomInt, type Random } from './random';

export interface KMeansOptions {
  /** Independent k-means++ restarts; the lowest inertia wins. Default 10. Ignored (1) with `initialCentroids`. */
  nInit?: number;
  /** Lloyd iterations per restart. Default 300. */
  maxIterations?: number;
  /**
   * Convergence tolerance, relative: iterations stop when the summed squared centre shift is at most
   * `tolerance × mean per-feature variance` (scikit-learn's definition), or when no label changes.
   * Default 1e-4.
   */
  tolerance?: number;
  /** Seed of the mulberry32 generator behind k-means++ and the restarts. Default 0. */
  seed?: number;
  /** Start from these centres (k rows of `cols` values, or k × cols row-major) instead of k-means++. */
  initialCentroids?: Float64Array | readonly (readonly number[])[];
}

export interface KMeansResult {
  k: number;
  cols: number;
  /** Cluster of each row, 0..k−1. */
  labels: Int32Array;
  /** k × cols centres, row-major, in the units of the input matrix. */
  centroids: Float64Array;
  /** Rows per cluster. */
  sizes: Int32Array;
  /** Sum of squared distances of rows to their centre. */
  inertia: number;
  /** Lloyd iterations of the winning run (scikit-learn's `n_iter_`). */
  iterations: number;
  /** False when the winning run stopped at `maxIterations`. */
  converged: boolean;
  /** Final inertia of every restart, in order. */
  restartInertias: number[];
  seed: number;
}

const DEFAULTS = { nInit: 10, maxIterations: 300, tolerance: 1e-4, seed: 0 };

// Bound once: inside jest's vm sandbox a global (`Infinity`, `Math`) read in a hot loop is a slow lookup.
const FARTHEST = Number.POSITIVE_INFINITY;

/**
 * k-means (Lloyd's algorithm) with greedy k-means++ initialisation and restarts.
 *
 * The iteration mirrors scikit-learn's `KMeans(algorithm="lloyd")`: assign, recompute means, move
 * any emptied cluster to the points farthest from their centre, stop on unchanged labels or a
 * centre shift under the tolerance, then assign once more so labels match the final centres.
 * Given the same initial centres it reaches the same centroids and inertia. Assignment is
 * accelerated with Hamerly's bounds without changing any iterate (see `lloyd.ts`).
 *
 * @throws {ClusteringException} `too_few_rows` (fewer rows than k), `too_few_distinct_points`,
 *   `non_finite` / `missing_values` (scale and impute first), `invalid_option`.
 * @example kmeans(matrix, 5, { seed: 42 }).labels
 */
export function kmeans(matrix: MatrixLike, k: number, options: KMeansOptions = {}): KMeansResult {
  const settings = { ...DEFAULTS, ...options };
  validateKMeansInput(matrix, k, settings);
  const absoluteTolerance = settings.tolerance === 0 ? 0 : settings.tolerance * meanColumnVariance(matrix);
  if (options.initialCentroids) {
    const run = lloyd(matrix, k, centroidArray(options.initialCentroids, k, matrix.cols), settings.maxIterations, absoluteTolerance);
    return { ...run, k, cols: matrix.cols, restartInertias: [run.inertia], seed: settings.seed };
  }
  const random = mulberry32(settings.seed);
  let best: LloydRun | undefined;
  const restartInertias: number[] = [];
  for (let restart = 0; restart < settings.nInit; restart++) {
    const initial = kmeansPlusPlus(matrix, k, mulberry32(nextSeed(random)));
    const run = lloyd(matrix, k, initial, settings.maxIterations, absoluteTolerance);
    restartInertias.push(run.inertia);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return { ...(best as LloydRun), k, cols: matrix.cols, restartInertias, seed: settings.seed };
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ⌊ln k⌋ local trials per
 * centre): each new centre is drawn with probability proportional to the squared distance to the
 * nearest centre so far, keeping the trial that lowers the total most.
 * @throws {ClusteringException} `too_few_distinct_points` when fewer than k distinct rows exist.
 */
export function kmeansPlusPlus(matrix: MatrixLike, k: number, random: Random): Float64Array {
  const { rows: n, cols: d } = matrix;
  const centres = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = randomInt(random, n);
  centres.set(rowOf(matrix, first), 0);
  let closest: Float64Array = squaredDistancesTo(matrix, first);
  const cumulative = new Float64Array(n);
  let candidateDistances: Float64Array = new Float64Array(n);
  let bestDistances: Float64Array = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) cumulative[i] = running += closest[i];
    if (!(running > 0)) {
      throw new ClusteringException('too_few_distinct_points', `only ${c} distinct profile(s) for k = ${k}`, 'k');
    }
    let bestPotential = FARTHEST;
    let bestIndex = -1;
    for (let t = 0; t < trials; t++) {
      const candidate = searchCumulative(cumulative, random() * running);
      const potential = potentialWith(matrix, candidate, closest, candidateDistances);
      if (potential < bestPotential) {
        bestPotential = potential;
        bestIndex = candidate;
        [bestDistances, candidateDistances] = [candidateDistances, bestDistances];
      }
    }
    centres.set(rowOf(matrix, bestIndex), c * d);
    [closest, bestDistances] = [bestDistances, closest];
  }
  return centres;
}

/**
 * Nearest centre of every row (ties go to the lower cluster index) and the squared distance to it:
 * how stored centroids assign profiles at refresh time without refitting.
 */
export function assignToNearest(matrix: MatrixLike, centroids: Float64Array, k: number): { labels: Int32Array; inertia: number } {
  if (centroids.length !== k * matrix.cols) {
    throw new ClusteringException('shape_mismatch', `expected ${k} × ${matrix.cols} centroid values, got ${centroids.length}`, 'centroids');
  }
  const labels = new Int32Array(matrix.rows);
  const inertia = assignRows(matrix, centroids, k, labels);
  return { labels, inertia };
}

function squaredDistancesTo(matrix: MatrixLike, row: number): Float64Array {
  const distances = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++)
    distances[i] = squaredDistance(matrix.data, i * matrix.cols, matrix.data, row * matrix.cols, matrix.cols);
  return distances;
}

/** Sum of min(current, distance to candidate) over rows; writes the minima into `out`. */
function potentialWith(matrix: MatrixLike, candidate: number, current: Float64Array, out: Float64Array): number {
  const { data, rows: n, cols: d } = matrix;
  const base = candidate * d;
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const toCandidate = squaredDistance(data, i * d, data, base, d);
    const distance = toCandidate < current[i] ? toCandidate : current[i];
    out[i] = distance;
    potential += distance;
  }
  return potential;
}

/** First index whose cumulative weight exceeds `target` (never a zero-weight row). */
function searchCumulative(cumulative: Float64Array, target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle] > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

function rowOf(matrix: MatrixLike, row: number): Float64Array {
  return matrix.data.subarray(row * matrix.cols, (row + 1) * matrix.cols);
}

/** Mean over columns of the population variance: the scale scikit-learn's tolerance is relative to. */
export function meanColumnVariance(matrix: MatrixLike): number {
  const { data, rows: n, cols: d } = matrix;
  const means = new Float64Array(d);
  for (let offset = 0; offset < n * d; offset += d) {
    for (let j = 0; j < d; j++) means[j] += data[offset + j];
  }
  for (let j = 0; j < d; j++) means[j] /= n;
  let total = 0;
  for (let offset = 0; offset < n * d; offset += d) {
    for (let j = 0; j < d; j++) {
      const delta = data[offset + j] - means[j];
      total += delta * delta;
    }
  }
  return total / n / d;
}

function centroidArray(initial: Float64Array | readonly (readonly number[])[], k: number, d: number): Float64Array {
  const flat = initial instanceof Float64Array ? initial : Float64Array.from(initial.flat());
  const rowsOk = initial instanceof Float64Array || initial.every((row) => row.length === d);
  if (!rowsOk || flat.length !== k * d) {
    throw new ClusteringException('invalid_option', `expected ${k} centres of ${d} values`, 'initialCentroids');
  }
  if (!flat.every(Number.isFinite)) throw new ClusteringException('invalid_option', 'centres must be finite numbers', 'initialCentroids');
  return flat;
}

function validateKMeansInput(matrix: MatrixLike, k: number, settings: typeof DEFAULTS): void {
  if (!Number.isInteger(k) || k < 1) throw new ClusteringException('invalid_option', `must be a positive integer, got ${k}`, 'k');
  if (matrix.rows < k) throw new ClusteringException('too_few_rows', `${matrix.rows} profile(s) cannot form ${k} clusters`, 'k');
  if (!Number.isInteger(settings.nInit) || settings.nInit < 1)
    throw new ClusteringException('invalid_option', 'must be a positive integer', 'nInit');
  if (!Number.isInteger(settings.maxIterations) || settings.maxIterations < 1) {
    throw new ClusteringException('invalid_option', 'must be a positive integer', 'maxIterations');
  }
  if (!(settings.tolerance >= 0)) throw new ClusteringException('invalid_option', 'must be zero or positive', 'tolerance');
  assertFinite(matrix);
}

/** Missing or infinite values have no distance; they must be imputed first (see preprocessing). */
export function assertFinite(matrix: MatrixLike): void {
  const { data } = matrix;
  for (let i = 0; i < data.length; i++) {
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity (no global lookup in the loop).
    if (data[i] - data[i] !== 0) {
      const code = Number.isNaN(data[i]) ? 'missing_values' : 'non_finite';
      throw new ClusteringException(
        code,
        `row ${Math.floor(i / matrix.cols)} column ${i % matrix.cols} is ${data[i]}; impute and scale first`,
        'data',
      );
    }
  }
}
