import { ClusteringException } from './clustering.exception';
import { denseLabels } from './labels';

/**
 * Adjusted Rand index (Hubert & Arabie 1985) between two labellings of the same rows: 1 for the same
 * partition (whatever the label names), about 0 for chance agreement, negative below chance.
 * Computed from the pair confusion matrix exactly like scikit-learn's `adjusted_rand_score`, with
 * pair counts in BigInt so large inputs lose no precision before the final division.
 * @throws {ClusteringException} `shape_mismatch` for labellings of different lengths.
 * @example adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) // 1
 */
export function adjustedRandIndex(first: ArrayLike<number>, second: ArrayLike<number>): number {
  if (first.length !== second.length) {
    throw new ClusteringException('shape_mismatch', `labellings have ${first.length} and ${second.length} rows`, 'labels');
  }
  const a = denseLabels(first, 'first');
  const b = denseLabels(second, 'second');
  const n = BigInt(first.length);
  const sumOfSquares = contingencySquares(a.labels, b.labels, a.count, b.count);
  const rowSquares = squaredTotals(a.labels, a.count);
  const columnSquares = squaredTotals(b.labels, b.count);
  // Pair confusion matrix, each ordered pair of distinct rows counted once.
  const together = sumOfSquares - n;
  const onlySecond = columnSquares - sumOfSquares;
  const onlyFirst = rowSquares - sumOfSquares;
  const apart = n * n - onlySecond - onlyFirst - sumOfSquares;
  if (onlySecond === 0n && onlyFirst === 0n) return 1;
  const numerator = 2n * (together * apart - onlyFirst * onlySecond);
  const denominator = (together + onlyFirst) * (onlyFirst + apart) + (together + onlySecond) * (onlySecond + apart);
  return Number(numerator) / Number(denominator);
}

/** Σ n_ij² over the contingency table (a dense table when small, else a map of the non-empty cells). */
function contingencySquares(a: Int32Array, b: Int32Array, aCount: number, bCount: number): bigint {
  let cells: Iterable<number>;
  if (aCount * bCount <= 1 << 20) {
    const table = new Float64Array(aCount * bCount);
    for (let i = 0; i < a.length; i++) table[a[i] * bCount + b[i]]++;
    cells = table;
  } else {
    const table = new Map<number, number>();
    for (let i = 0; i < a.length; i++) table.set(a[i] * bCount + b[i], (table.get(a[i] * bCount + b[i]) ?? 0) + 1);
    cells = table.values();
  }
  let total = 0n;
  for (const cell of cells) if (cell > 0) total += BigInt(cell) ** 2n;
  return total;
}

function squaredTotals(labels: Int32Array, count: number): bigint {
  const sizes = new Float64Array(count);
  for (const label of labels) sizes[label]++;
  return sizes.reduce((total, size) => total + BigInt(size) ** 2n, 0n);
}
