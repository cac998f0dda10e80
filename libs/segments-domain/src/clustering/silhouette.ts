import { ClusteringException } from './clustering.exception';
import { selectRows, type MatrixLike } from './feature-matrix';
import { assertFinite } from './kmeans';
import { denseLabels } from './labels';
import { mulberry32, sampleWithoutReplacement } from './random';

export interface SilhouetteOptions {
  /**
   * Up to this many rows the score is exact (all pairs); above it, the score is computed on a
   * simple random sample of this many rows, as scikit-learn's `silhouette_score(sample_size=...)`
   * does. Default 10,000 (50 million pairs).
   */
  sampleSize?: number;
  /** Seed of the sample. Default 0. */
  seed?: number;
}

export interface SilhouetteResult {
  /** Mean silhouette coefficient in [−1, 1]. */
  score: number;
  /** True when every row was used. */
  exact: boolean;
  /** Rows the score was computed on. */
  sampleSize: number;
  /** Rows in the input. */
  rows: number;
}

export const DEFAULT_SILHOUETTE_SAMPLE_SIZE = 10_000;

// Bound once: inside jest's vm sandbox every `Math.x` in a hot loop is a slow global lookup.
const { sqrt, min, max } = Math;

/**
 * Mean silhouette coefficient (Rousseeuw 1987) with Euclidean distances: exact for up to
 * `sampleSize` rows, estimated on a seeded random sample above that (the sample size is reported).
 * Rows alone in their cluster score 0, as in scikit-learn.
 * @throws {ClusteringException} `invalid_labels` unless 2 ≤ clusters ≤ rows − 1 (in the sample).
 * @example silhouetteScore(matrix, result.labels).score
 */
export function silhouetteScore(matrix: MatrixLike, labels: ArrayLike<number>, options: SilhouetteOptions = {}): SilhouetteResult {
  const sampleSize = options.sampleSize ?? DEFAULT_SILHOUETTE_SAMPLE_SIZE;
  if (!Number.isInteger(sampleSize) || sampleSize < 3)
    throw new ClusteringException('invalid_option', 'must be an integer of at least 3', 'sampleSize');
  if (labels.length !== matrix.rows)
    throw new ClusteringException('shape_mismatch', `${labels.length} labels for ${matrix.rows} rows`, 'labels');
  if (matrix.rows <= sampleSize) {
    return { score: meanOf(silhouetteSamples(matrix, labels)), exact: true, sampleSize: matrix.rows, rows: matrix.rows };
  }
  const sample = sampleWithoutReplacement(mulberry32(options.seed ?? 0), matrix.rows, sampleSize);
  const sampledLabels = new Int32Array(sampleSize);
  for (let i = 0; i < sampleSize; i++) sampledLabels[i] = labels[sample[i]];
  const score = meanOf(silhouetteSamples(selectRows(matrix, sample), sampledLabels));
  return { score, exact: false, sampleSize, rows: matrix.rows };
}

/**
 * Silhouette coefficient of every row (scikit-learn's `silhouette_samples`): (b − a) / max(a, b)
 * with a the mean distance to the other rows of its cluster and b the smallest mean distance to
 * another cluster. All pairs: O(n² · d) time, O(n · clusters) memory.
 * @throws {ClusteringException} `invalid_labels` unless 2 ≤ clusters ≤ rows − 1.
 */
export function silhouetteSamples(matrix: MatrixLike, labels: ArrayLike<number>): Float64Array {
  if (labels.length !== matrix.rows)
    throw new ClusteringException('shape_mismatch', `${labels.length} labels for ${matrix.rows} rows`, 'labels');
  assertFinite(matrix);
  const { labels: dense, count } = denseLabels(labels);
  const n = matrix.rows;
  if (count < 2 || count > n - 1) {
    throw new ClusteringException('invalid_labels', `silhouette needs between 2 and ${n - 1} clusters, got ${count}`, 'labels');
  }
  const sizes = new Float64Array(count);
  for (let i = 0; i < n; i++) sizes[dense[i]]++;
  const distanceSums = pairwiseDistanceSums(matrix, dense, count);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const own = dense[i];
    if (sizes[own] === 1) continue;
    const a = distanceSums[i * count + own] / (sizes[own] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < count; c++) {
      if (c !== own) b = min(b, distanceSums[i * count + c] / sizes[c]);
    }
    const spread = max(a, b);
    scores[i] = spread > 0 ? (b - a) / spread : 0;
  }
  return scores;
}

/**
 * For every row i and cluster c, the sum of distances from i to the rows of c. Each pair is measured
 * once; four partner rows are measured side by side so the CPU can overlap their independent sums
 * (each distance is still summed in feature order).
 */
function pairwiseDistanceSums(matrix: MatrixLike, labels: Int32Array, count: number): Float64Array {
  const { data, rows: n, cols: d } = matrix;
  const sums = new Float64Array(n * count);
  for (let i = 0; i < n; i++) {
    const rowOffset = i * d;
    const ownSums = i * count;
    const ownLabel = labels[i];
    let j = i + 1;
    for (; j + 3 < n; j += 4) {
      const o0 = j * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let f = 0; f < d; f++) {
        const x = data[rowOffset + f];
        const e0 = x - data[o0 + f];
        const e1 = x - data[o1 + f];
        const e2 = x - data[o2 + f];
        const e3 = x - data[o3 + f];
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
      }
      const t0 = sqrt(s0);
      const t1 = sqrt(s1);
      const t2 = sqrt(s2);
      const t3 = sqrt(s3);
      sums[ownSums + labels[j]] += t0;
      sums[ownSums + labels[j + 1]] += t1;
      sums[ownSums + labels[j + 2]] += t2;
      sums[ownSums + labels[j + 3]] += t3;
      sums[j * count + ownLabel] += t0;
      sums[(j + 1) * count + ownLabel] += t1;
      sums[(j + 2) * count + ownLabel] += t2;
      sums[(j + 3) * count + ownLabel] += t3;
    }
    for (; j < n; j++) {
      const otherOffset = j * d;
      let squared = 0;
      for (let f = 0; f < d; f++) {
        const delta = data[rowOffset + f] - data[otherOffset + f];
        squared += delta * delta;
      }
      const distance = sqrt(squared);
      sums[ownSums + labels[j]] += distance;
      sums[j * count + ownLabel] += distance;
    }
  }
  return sums;
}

function meanOf(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
