import { describeClusters, type ClusterProfile } from './cluster-profiles';
import { ClusteringException } from './clustering.exception';
import { type FeatureMatrix } from './feature-matrix';
import { assignToNearest, kmeans, type KMeansOptions } from './kmeans';
import { applyPreprocessor, fitPreprocessor, imputeOnly, type PreprocessingOptions, type Preprocessor } from './preprocessing';
import { silhouetteScore, type SilhouetteOptions, type SilhouetteResult } from './silhouette';
import { clusteringStability, type StabilityOptions, type StabilityResult } from './stability';

export interface ClusterModelOptions {
  k: number;
  preprocessing?: PreprocessingOptions;
  kmeans?: Omit<KMeansOptions, 'initialCentroids'>;
  silhouette?: SilhouetteOptions;
  /** Bootstrap stability check (default: 10 replicates); `false` skips it. */
  stability?: Omit<StabilityOptions, 'referenceLabels'> | false;
}

/**
 * What a segment version stores for a clustering: JSON-serialisable, enough to assign any profile
 * later without refitting, so members do not move between clusters until a refit makes a new version.
 */
export interface ClusterModel {
  kind: 'kmeans';
  version: 1;
  k: number;
  features: string[];
  preprocessor: Preprocessor;
  /** k rows of centre coordinates in the preprocessed (scaled) space. */
  centroids: number[][];
  inertia: number;
  seed: number;
}

export interface ClusterFit {
  model: ClusterModel;
  labels: Int32Array;
  silhouette: SilhouetteResult;
  stability: StabilityResult | null;
  profiles: ClusterProfile[];
  /** Imputations and dropped features, and convergence or stability warnings, for the user to read. */
  notes: string[];
}

/**
 * Preprocesses, clusters, validates (silhouette, bootstrap stability) and describes: the whole
 * k-means segment build on in-memory features.
 * @throws {ClusteringException} from any step; nothing is returned half-built.
 * @example fitClusterModel(matrix, { k: 5, preprocessing: { log1p: ['monetary'] }, kmeans: { seed: 1 } })
 */
export function fitClusterModel(matrix: FeatureMatrix, options: ClusterModelOptions): ClusterFit {
  const preprocessor = fitPreprocessor(matrix, options.preprocessing);
  const input = applyPreprocessor(preprocessor, matrix);
  const fit = kmeans(input, options.k, options.kmeans);
  if (fit.sizes.some((size) => size === 0)) {
    throw new ClusteringException('too_few_distinct_points', `k-means left a cluster empty; choose a smaller k than ${options.k}`, 'k');
  }
  const silhouette = silhouetteScore(input, fit.labels, options.silhouette);
  const stability =
    options.stability === false
      ? null
      : clusteringStability(input, options.k, { replicates: 10, ...options.kmeans, ...options.stability, referenceLabels: fit.labels });
  const notes = [...preprocessor.notes];
  if (!fit.converged) notes.push(`k-means stopped after ${fit.iterations} iterations without converging`);
  if (stability && !stability.stable) {
    notes.push(`unstable: mean adjusted Rand index ${stability.meanAdjustedRandIndex.toFixed(3)} is below ${stability.threshold}`);
  }
  const model: ClusterModel = {
    kind: 'kmeans',
    version: 1,
    k: options.k,
    features: preprocessor.features.map((feature) => feature.name),
    preprocessor,
    centroids: Array.from({ length: options.k }, (_, c) => Array.from(fit.centroids.subarray(c * input.cols, (c + 1) * input.cols))),
    inertia: fit.inertia,
    seed: fit.seed,
  };
  // Categorical columns hold level codes: describe them as the share of each one-hot level instead.
  const described = matrix.categories ? imputeOnly(preprocessor, matrix) : matrix;
  return { model, labels: fit.labels, silhouette, stability, profiles: describeClusters(described, fit.labels, options.k), notes };
}

/**
 * Assigns profiles to a stored model's nearest centroid, with the stored preprocessing.
 * @throws {ClusteringException} `unknown_feature` when a model feature is missing from the matrix, and preprocessing errors.
 */
export function assignClusters(model: ClusterModel, matrix: FeatureMatrix): Int32Array {
  const input = applyPreprocessor(model.preprocessor, matrix);
  return assignToNearest(input, Float64Array.from(model.centroids.flat()), model.k).labels;
}
