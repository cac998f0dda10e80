import { ClusteringException } from './clustering.exception';
import { type FeatureMatrix } from './feature-matrix';

export interface FeatureComparison {
  feature: string;
  /** Cluster mean in original units. */
  mean: number;
  populationMean: number;
  /** Cluster mean ÷ population mean; null when the ratio means nothing (a feature with negative values or a zero mean). */
  ratioToAverage: number | null;
  /** (cluster mean − population mean) ÷ population std: how unusual the cluster is on this feature. */
  standardisedDifference: number;
}

export interface ClusterProfile {
  cluster: number;
  size: number;
  /** size ÷ rows. */
  share: number;
  /** One entry per feature, most distinctive first (largest |standardisedDifference|). */
  features: FeatureComparison[];
  /** e.g. "Spending Score 1.6× average, Annual Income 0.5× average". */
  description: string;
  /** e.g. "High Spending Score, Low Annual Income": a default the user can override. Unique per clustering. */
  suggestedName: string;
}

/** Features named in a description, and the |standardised difference| that makes a feature "high"/"very high". */
const DESCRIBED_FEATURES = 3;
const NOTABLE = 0.5;
const VERY_NOTABLE = 1.0;

// Bound once: inside jest's vm sandbox a global read per value is a slow lookup.
const { isNaN: isMissing } = Number;

/**
 * Describes each cluster by how its mean differs from the population's, in original units (pass raw
 * values, with missing ones imputed or left as NaN, which are skipped). Means come from the data,
 * not from inverting the scaling, so a log-transformed money feature reads as an arithmetic mean.
 * @throws {ClusteringException} `shape_mismatch` when labels and rows differ, `invalid_labels` for labels outside 0..k−1.
 * @example describeClusters(rawMatrix, fit.labels, 5)[0].description
 */
export function describeClusters(matrix: FeatureMatrix, labels: Int32Array, k: number): ClusterProfile[] {
  if (labels.length !== matrix.rows)
    throw new ClusteringException('shape_mismatch', `${labels.length} labels for ${matrix.rows} rows`, 'labels');
  const sizes = new Int32Array(k);
  for (const label of labels) {
    if (!(label >= 0 && label < k)) throw new ClusteringException('invalid_labels', `label ${label} is outside 0..${k - 1}`, 'labels');
    sizes[label]++;
  }
  const population = matrix.names.map((_, j) => columnStatistics(matrix, j, labels, -1));
  const profiles = Array.from({ length: k }, (_, cluster): ClusterProfile => {
    const features = matrix.names
      .map((feature, j): FeatureComparison => {
        const mean = columnStatistics(matrix, j, labels, cluster).mean;
        const overall = population[j];
        return {
          feature,
          mean,
          populationMean: overall.mean,
          ratioToAverage: overall.min >= 0 && overall.mean > 0 ? mean / overall.mean : null,
          standardisedDifference: overall.std > 0 ? (mean - overall.mean) / overall.std : 0,
        };
      })
      .sort((a, b) => Math.abs(b.standardisedDifference) - Math.abs(a.standardisedDifference));
    return {
      cluster,
      size: sizes[cluster],
      share: sizes[cluster] / matrix.rows,
      features,
      description: describe(features),
      suggestedName: nameOf(features),
    };
  });
  return uniqueNames(profiles);
}

function describe(features: FeatureComparison[]): string {
  return features
    .slice(0, DESCRIBED_FEATURES)
    .map(({ feature, ratioToAverage, standardisedDifference }) =>
      ratioToAverage === null
        ? `${feature} ${standardisedDifference >= 0 ? '+' : ''}${standardisedDifference.toFixed(1)} sd from average`
        : `${feature} ${ratioToAverage.toFixed(1)}× average`,
    )
    .join(', ');
}

function nameOf(features: FeatureComparison[]): string {
  const notable = features.filter((feature) => Math.abs(feature.standardisedDifference) >= NOTABLE).slice(0, 2);
  if (notable.length === 0) return 'Close to average';
  return notable
    .map(({ feature, standardisedDifference }, index) => {
      const level = `${Math.abs(standardisedDifference) >= VERY_NOTABLE ? 'very ' : ''}${standardisedDifference > 0 ? 'high' : 'low'}`;
      const phrase = `${level} ${feature}`;
      return index === 0 ? phrase.charAt(0).toUpperCase() + phrase.slice(1) : phrase;
    })
    .join(', ');
}

/** Two clusters can earn the same words; number the repeats so names stay usable as segment names. */
function uniqueNames(profiles: ClusterProfile[]): ClusterProfile[] {
  const seen = new Map<string, number>();
  return profiles.map((profile) => {
    const count = (seen.get(profile.suggestedName) ?? 0) + 1;
    seen.set(profile.suggestedName, count);
    return count === 1 ? profile : { ...profile, suggestedName: `${profile.suggestedName} (${count})` };
  });
}

/** Mean, population std and min of column j over rows of `cluster` (−1: all rows), skipping NaN. */
function columnStatistics(
  matrix: FeatureMatrix,
  j: number,
  labels: Int32Array,
  cluster: number,
): { mean: number; std: number; min: number } {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  for (let i = 0; i < matrix.rows; i++) {
    const value = matrix.data[i * matrix.cols + j];
    if (isMissing(value) || (cluster >= 0 && labels[i] !== cluster)) continue;
    count++;
    sum += value;
    if (value < min) min = value;
  }
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < matrix.rows; i++) {
    const value = matrix.data[i * matrix.cols + j];
    if (isMissing(value) || (cluster >= 0 && labels[i] !== cluster)) continue;
    squares += (value - mean) ** 2;
  }
  return { mean, std: Math.sqrt(squares / count), min };
}
