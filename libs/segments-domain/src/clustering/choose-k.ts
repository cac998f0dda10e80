import { ClusteringException } from './clustering.exception';
import { type MatrixLike } from './feature-matrix';
import { kmeans, type KMeansOptions } from './kmeans';
import { silhouetteScore, type SilhouetteOptions } from './silhouette';

export interface ChooseKOptions extends Omit<KMeansOptions, 'initialCentroids'> {
  /** Default 2. */
  kMin?: number;
  /** Default 10. */
  kMax?: number;
  /** Sampling of the silhouette; the same sample (same seed) is used for every k so scores compare. */
  silhouette?: SilhouetteOptions;
}

export interface KCandidate {
  k: number;
  /** Within-cluster sum of squares (the elbow curve). */
  inertia: number;
  silhouette: number;
  iterations: number;
  converged: boolean;
}

export interface ChooseKResult {
  candidates: KCandidate[];
  /** Whether the silhouettes used every row, and how many rows they used. */
  silhouetteExact: boolean;
  silhouetteSampleSize: number;
  /** k with the highest silhouette. */
  bestBySilhouette: number;
  /**
   * k at the elbow of the inertia curve: the point farthest below the straight line from the first
   * to the last candidate, both axes scaled to [0, 1] (the "kneedle" idea). Null with fewer than 3
   * candidates or a curve without a bend.
   */
  elbow: number | null;
}

/**
 * Fits k-means for every k in [kMin, kMax] and reports silhouette and inertia for each, with the
 * k each criterion suggests. The user picks; the numbers are there to justify the pick.
 * @throws {ClusteringException} `invalid_option` for a bad range, `too_few_rows` when rows ≤ kMax.
 * @example chooseK(matrix, { kMin: 2, kMax: 10, seed: 7 }).bestBySilhouette
 */
export function chooseK(matrix: MatrixLike, options: ChooseKOptions = {}): ChooseKResult {
  const { kMin = 2, kMax = 10, silhouette: silhouetteOptions, ...kmeansOptions } = options;
  if (!Number.isInteger(kMin) || kMin < 2)
    throw new ClusteringException('invalid_option', `must be an integer of at least 2, got ${kMin}`, 'kMin');
  if (!Number.isInteger(kMax) || kMax < kMin)
    throw new ClusteringException('invalid_option', `must be an integer of at least kMin (${kMin}), got ${kMax}`, 'kMax');
  if (matrix.rows <= kMax) {
    throw new ClusteringException(
      'too_few_rows',
      `${matrix.rows} profile(s) are too few to compare up to ${kMax} clusters (need ${kMax + 1})`,
      'kMax',
    );
  }
  const candidates: KCandidate[] = [];
  let sampling = { exact: true, sampleSize: matrix.rows };
  for (let k = kMin; k <= kMax; k++) {
    const fit = kmeans(matrix, k, kmeansOptions);
    const silhouette = silhouetteScore(matrix, fit.labels, silhouetteOptions);
    sampling = { exact: silhouette.exact, sampleSize: silhouette.sampleSize };
    candidates.push({ k, inertia: fit.inertia, silhouette: silhouette.score, iterations: fit.iterations, converged: fit.converged });
  }
  const bestBySilhouette = candidates.reduce((best, candidate) => (candidate.silhouette > best.silhouette ? candidate : best)).k;
  return {
    candidates,
    silhouetteExact: sampling.exact,
    silhouetteSampleSize: sampling.sampleSize,
    bestBySilhouette,
    elbow: elbowOf(candidates),
  };
}

/** The candidate farthest below the chord joining the first and last points of the normalised curve. */
export function elbowOf(candidates: readonly Pick<KCandidate, 'k' | 'inertia'>[]): number | null {
  if (candidates.length < 3) return null;
  const first = candidates[0];
  const last = candidates[candidates.length - 1];
  const inertias = candidates.map((candidate) => candidate.inertia);
  const low = Math.min(...inertias);
  const span = Math.max(...inertias) - low;
  if (!(span > 0)) return null;
  const normalised = (inertia: number) => (inertia - low) / span;
  let elbow: number | null = null;
  // Rounding puts a straight line's points a few ulps off the chord; that is not a bend.
  let largestGap = 1e-9;
  for (const candidate of candidates) {
    const x = (candidate.k - first.k) / (last.k - first.k);
    const chord = normalised(first.inertia) + x * (normalised(last.inertia) - normalised(first.inertia));
    const gap = chord - normalised(candidate.inertia);
    if (gap > largestGap) {
      largestGap = gap;
      elbow = candidate.k;
    }
  }
  return elbow;
}
