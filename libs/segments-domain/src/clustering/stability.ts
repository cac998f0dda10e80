import { adjustedRandIndex } from './adjusted-rand-index';
import { ClusteringException } from './clustering.exception';
import { selectRows, type MatrixLike } from './feature-matrix';
import { assignToNearest, kmeans, type KMeansOptions } from './kmeans';
import { mulberry32, nextSeed, sampleWithReplacement } from './random';

export interface StabilityOptions extends Omit<KMeansOptions, 'initialCentroids'> {
  /** Bootstrap refits. Default 20. */
  replicates?: number;
  /** Mean adjusted Rand index below which the clustering is flagged unstable. Default 0.75. */
  threshold?: number;
  /**
   * Rows drawn (with replacement) for each refit. Default min(rows, 50,000): beyond that a refit costs
   * more without telling more about stability.
   */
  sampleSize?: number;
  /** The clustering under test; by default k-means is fitted on the full matrix with the same options. */
  referenceLabels?: Int32Array;
}

export interface StabilityResult {
  k: number;
  replicates: number;
  sampleSize: number;
  /** Adjusted Rand index of each refit against the reference, in replicate order. */
  adjustedRandIndices: number[];
  meanAdjustedRandIndex: number;
  minAdjustedRandIndex: number;
  threshold: number;
  /** meanAdjustedRandIndex ≥ threshold. */
  stable: boolean;
}

export const DEFAULT_STABILITY_THRESHOLD = 0.75;

/**
 * Bootstrap stability of a k-means clustering: refit on samples drawn with replacement, assign every
 * row to the refit's nearest centre, and compare with the reference labels by the adjusted Rand
 * index (Lange et al. 2004; Hennig 2007). A clustering whose mean index falls below the threshold
 * is flagged unstable: its clusters are artefacts of the sample, not structure to name and target.
 * @throws {ClusteringException} `invalid_option`, and the errors of {@link kmeans}.
 * @example clusteringStability(matrix, 5, { seed: 1 }).stable
 */
export function clusteringStability(matrix: MatrixLike, k: number, options: StabilityOptions = {}): StabilityResult {
  const {
    replicates = 20,
    threshold = DEFAULT_STABILITY_THRESHOLD,
    referenceLabels,
    sampleSize = Math.min(matrix.rows, 50_000),
    ...kmeansOptions
  } = options;
  if (!Number.isInteger(replicates) || replicates < 2)
    throw new ClusteringException('invalid_option', 'must be an integer of at least 2', 'replicates');
  if (!(threshold >= -1 && threshold <= 1)) throw new ClusteringException('invalid_option', 'must be between -1 and 1', 'threshold');
  if (!Number.isInteger(sampleSize) || sampleSize < k)
    throw new ClusteringException('invalid_option', `must be an integer of at least k (${k})`, 'sampleSize');
  if (referenceLabels && referenceLabels.length !== matrix.rows) {
    throw new ClusteringException('shape_mismatch', `${referenceLabels.length} labels for ${matrix.rows} rows`, 'referenceLabels');
  }
  const reference = referenceLabels ?? kmeans(matrix, k, kmeansOptions).labels;
  const random = mulberry32(kmeansOptions.seed ?? 0);
  const adjustedRandIndices: number[] = [];
  for (let replicate = 0; replicate < replicates; replicate++) {
    const sample = selectRows(matrix, sampleWithReplacement(random, matrix.rows, sampleSize));
    const refit = kmeans(sample, k, { ...kmeansOptions, seed: nextSeed(random) });
    adjustedRandIndices.push(adjustedRandIndex(reference, assignToNearest(matrix, refit.centroids, k).labels));
  }
  const meanAdjustedRandIndex = adjustedRandIndices.reduce((sum, value) => sum + value, 0) / replicates;
  return {
    k,
    replicates,
    sampleSize,
    adjustedRandIndices,
    meanAdjustedRandIndex,
    minAdjustedRandIndex: Math.min(...adjustedRandIndices),
    threshold,
    stable: meanAdjustedRandIndex >= threshold,
  };
}
