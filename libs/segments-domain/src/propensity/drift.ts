import type { FeatureMatrix } from '../clustering/feature-matrix';
import type { PropensityModel } from './propensity-model';
import { PropensityException } from './propensity.exception';
import { quickselect } from '../clustering/quickselect';

/**
 * Share that replaces an empty bin (expected or actual) in the PSI, so ln(a / e) stays finite: an
 * empty bin on one side contributes (a − ε)·ln(a / ε) instead of infinity. 1e-4 (0.01 %) is the
 * value most credit-risk monitoring uses.
 */
export const PSI_EPSILON = 1e-4;

/** PSI above which a feature or the score counts as shifted: the usual "significant shift" rule (0.1–0.2 moderate, > 0.2 significant). */
export const DEFAULT_PSI_THRESHOLD = 0.2;

/**
 * Where a numeric feature (or the score) stood at fit time: its decile edges and the share of the
 * fitting rows in each bin. Bins are (−∞, e₁], (e₁, e₂], …, (eₖ, +∞) over the distinct edges, then a
 * last bin for missing values (always present, its share may be 0).
 */
export interface NumericReference {
  kind: 'numeric';
  edges: number[];
  /** edges.length + 1 finite bins, then the missing bin; sums to 1. */
  shares: number[];
  rows: number;
}

/**
 * Where a categorical feature stood at fit time: the share of each level the model kept a one-hot
 * column for, then of every other value, then of missing values.
 */
export interface CategoricalReference {
  kind: 'categorical';
  levels: string[];
  /** levels.length shares, then "other", then "missing"; sums to 1. */
  shares: number[];
  rows: number;
}

export type FeatureReference = NumericReference | CategoricalReference;

/** Stored with a propensity model version: the reference distributions drift is measured against. */
export interface DriftReference {
  version: 1;
  /** One per source feature (a categorical feature once, not per one-hot column), in matrix column order. */
  features: ({ feature: string } & FeatureReference)[];
  /** The model's score (probability) on the same rows. */
  score: NumericReference;
}

export interface DriftBin {
  label: string;
  expected: number;
  actual: number;
}

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number;
  flagged: boolean;
  bins: DriftBin[];
}

export interface DriftReport {
  psiThreshold: number;
  /** Rows compared with the reference (the population now). */
  rows: number;
  features: FeatureDrift[];
  score: Omit<FeatureDrift, 'feature' | 'kind'>;
}

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * The distinct deciles (10 %, …, 90 %) of the finite values, each by linear interpolation between
 * order statistics (numpy's default `np.quantile` method): ties collapse bins, so a count that is 0
 * for most profiles has few edges. Missing (`NaN`) values are ignored; none observed: no edges.
 * @example decileEdges([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) // [2, 3, 4, 5, 6, 7, 8, 9, 10]
 */
export function decileEdges(values: ArrayLike<number>): number[] {
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  if (finite === 0) return [];
  const order = new Float64Array(finite);
  for (let i = 0, k = 0; i < values.length; i++) if (Number.isFinite(values[i])) order[k++] = values[i];
  // Only the order statistics the deciles interpolate between are placed (a multi-quickselect,
  // ~log2(18) partitioning passes), not a full sort: Node's typed-array sort made the reference
  // of a 1M-row fit cost seconds.
  const positions = [
    ...new Set(DECILES.flatMap((q) => [Math.floor(q * (finite - 1)), Math.min(Math.floor(q * (finite - 1)) + 1, finite - 1)])),
  ].sort((a, b) => a - b);
  selectPositions(order, 0, finite - 1, positions, 0, positions.length - 1);
  const edges: number[] = [];
  for (const q of DECILES) {
    const position = q * (finite - 1);
    const lower = Math.floor(position);
    const upper = Math.min(lower + 1, finite - 1);
    const edge = order[lower] + (position - lower) * (order[upper] - order[lower]);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Puts the k-th smallest value of a[lo..hi] at a[k] for each k of positions[from..to] (ascending), as a full sort would. */
function selectPositions(a: Float64Array, lo: number, hi: number, positions: readonly number[], from: number, to: number): void {
  if (from > to || lo >= hi) return;
  const middle = (from + to) >> 1;
  const k = positions[middle];
  quickselect(a, lo, hi, k);
  selectPositions(a, lo, k - 1, positions, from, middle - 1);
  selectPositions(a, k + 1, hi, positions, middle + 1, to);
}

/**
 * Shares of values per bin of `edges` (value v is in bin i when e_{i−1} < v ≤ e_i), then the share of
 * missing values. No values: every share 0.
 * @example numericShares([1, 2, 3, NaN], [2]) // [0.5, 0.25, 0.25]
 */
export function numericShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  return numericCounts(values, edges).map((count) => (values.length ? count / values.length : 0));
}

function numericCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) {
      counts[edges.length + 1] += 1;
      continue;
    }
    let bin = 0;
    while (bin < edges.length && value > edges[bin]) bin++;
    counts[bin] += 1;
  }
  return counts;
}

/**
 * Population stability index Σ (a − e) · ln(a / e) over the bins, with a share of 0 (on either side)
 * replaced by `epsilon` ({@link PSI_EPSILON}). 0 when the distributions are equal.
 * @throws {PropensityException} `shape_mismatch` when the bin counts differ.
 * @example populationStabilityIndex([0.5, 0.5], [0.25, 0.75]) // ≈ 0.2747
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length)
    throw new PropensityException('shape_mismatch', `${actual.length} bins for ${expected.length} reference bins`, 'bins');
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], epsilon);
    const a = Math.max(actual[i], epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * The reference distributions of a propensity model's features and score on the rows it was
 * fitted on (the training matrix, raw values before imputation): numeric features and the score by
 * decile bins, categorical ones by the levels the model kept (others as "other", no value as "missing").
 * @example driftReference(report.model, training.matrix, scorePropensity(report.model, training.matrix))
 */
export function driftReference(model: PropensityModel, matrix: FeatureMatrix, scores: ArrayLike<number>): DriftReference {
  const features = matrix.names.map((name, j) => {
    const levels = matrix.categories?.[name];
    if (levels) {
      const kept = keptLevels(model, name);
      return { feature: name, kind: 'categorical' as const, levels: kept, shares: categoricalShares(matrix, j, kept), rows: matrix.rows };
    }
    const values = column(matrix, j);
    const edges = decileEdges(values);
    return { feature: name, kind: 'numeric' as const, edges, shares: numericShares(values, edges), rows: matrix.rows };
  });
  const scoreEdges = decileEdges(scores);
  return {
    version: 1,
    features,
    score: { kind: 'numeric', edges: scoreEdges, shares: numericShares(scores, scoreEdges), rows: scores.length },
  };
}

/** Rows per bin of each reference feature and of the score, for a part of the population (see {@link countDriftBins}). */
export interface DriftCounts {
  rows: number;
  /** Per reference feature, its bins' counts (missing / other bins included). */
  features: number[][];
  score: number[];
}

/**
 * PSI of each feature and of the score between a stored {@link DriftReference} and the population
 * now (its raw feature matrix, and the stored model's scores of it), on the reference's bins; a PSI
 * above `psiThreshold` is flagged. Equal to {@link driftFromCounts} of {@link countDriftBins}.
 * @throws {PropensityException} `unknown_feature` when the matrix lacks a reference feature, `shape_mismatch`.
 * @example measureDrift(stored.drift, current.matrix, scorePropensity(stored.model, current.matrix), 0.2).score.psi
 */
export function measureDrift(
  reference: DriftReference,
  matrix: FeatureMatrix,
  scores: ArrayLike<number>,
  psiThreshold = DEFAULT_PSI_THRESHOLD,
): DriftReport {
  return driftFromCounts(reference, countDriftBins(reference, matrix, scores), psiThreshold);
}

/**
 * How many rows of `matrix` (and of their `scores`) fall in each bin of the reference: counted part
 * by part (rows in chunks) and summed with {@link addDriftCounts}, a large population is measured
 * without one long synchronous step.
 * @throws {PropensityException} `unknown_feature` when the matrix lacks a reference feature, `shape_mismatch`.
 */
export function countDriftBins(reference: DriftReference, matrix: FeatureMatrix, scores: ArrayLike<number>): DriftCounts {
  if (scores.length !== matrix.rows)
    throw new PropensityException('shape_mismatch', `${scores.length} scores for ${matrix.rows} profiles`, 'scores');
  const features = reference.features.map((ref) => {
    const j = matrix.names.indexOf(ref.feature);
    if (j < 0) throw new PropensityException('unknown_feature', `the population has no column "${ref.feature}"`, ref.feature);
    return ref.kind === 'categorical' ? categoricalCounts(matrix, j, ref.levels) : numericCounts(column(matrix, j), ref.edges);
  });
  return { rows: matrix.rows, features, score: numericCounts(scores, reference.score.edges) };
}

/** The sum of two {@link DriftCounts} of the same reference. */
export function addDriftCounts(a: DriftCounts, b: DriftCounts): DriftCounts {
  const add = (x: number[], y: number[]) => x.map((count, i) => count + y[i]);
  return { rows: a.rows + b.rows, features: a.features.map((counts, f) => add(counts, b.features[f])), score: add(a.score, b.score) };
}

/** The {@link DriftReport} of counted bins: shares = count / rows, PSI per feature and for the score, flagged above `psiThreshold`. */
export function driftFromCounts(reference: DriftReference, counts: DriftCounts, psiThreshold = DEFAULT_PSI_THRESHOLD): DriftReport {
  const shares = (bins: number[]) => bins.map((count) => (counts.rows ? count / counts.rows : 0));
  const features = reference.features.map((ref, f): FeatureDrift => {
    const actual = shares(counts.features[f]);
    if (ref.kind === 'categorical')
      return described(ref.feature, 'categorical', [...ref.levels, '(other)', '(missing)'], ref.shares, actual, psiThreshold);
    return described(ref.feature, 'numeric', binLabels(ref.edges), ref.shares, actual, psiThreshold);
  });
  const {
    feature: _f,
    kind: _k,
    ...score
  } = described('score', 'numeric', binLabels(reference.score.edges), reference.score.shares, shares(counts.score), psiThreshold);
  return { psiThreshold, rows: counts.rows, features, score };
}

function described(
  feature: string,
  kind: FeatureDrift['kind'],
  labels: string[],
  expected: readonly number[],
  actual: number[],
  psiThreshold: number,
): FeatureDrift {
  const psi = populationStabilityIndex(expected, actual);
  return {
    feature,
    kind,
    psi,
    flagged: psi > psiThreshold,
    bins: labels.map((label, i) => ({ label, expected: expected[i], actual: actual[i] })),
  };
}

function binLabels(edges: readonly number[]): string[] {
  const text = (value: number) => String(Number(value.toPrecision(4)));
  if (edges.length === 0) return ['(all values)', '(missing)'];
  return [
    `≤ ${text(edges[0])}`,
    ...edges.slice(1).map((edge, i) => `${text(edges[i])} – ${text(edge)}`),
    `> ${text(edges[edges.length - 1])}`,
    '(missing)',
  ];
}

/** The levels of a categorical column the model kept a one-hot column for, in the preprocessor's order. */
function keptLevels(model: PropensityModel, name: string): string[] {
  return model.preprocessor.features.flatMap((feature) =>
    feature.oneHot && feature.oneHot.of === name && 'level' in feature.oneHot ? [feature.oneHot.level] : [],
  );
}

function categoricalShares(matrix: FeatureMatrix, j: number, kept: readonly string[]): number[] {
  return categoricalCounts(matrix, j, kept).map((count) => (matrix.rows ? count / matrix.rows : 0));
}

function categoricalCounts(matrix: FeatureMatrix, j: number, kept: readonly string[]): number[] {
  const levels = matrix.categories?.[matrix.names[j]] ?? [];
  const bin = new Map(kept.map((level, i) => [level, i]));
  const counts = new Array<number>(kept.length + 2).fill(0);
  for (let i = 0; i < matrix.rows; i++) {
    const code = matrix.data[i * matrix.cols + j];
    if (Number.isNaN(code)) counts[kept.length + 1] += 1;
    else counts[bin.get(levels[code]) ?? kept.length] += 1;
  }
  return counts;
}

function column(matrix: FeatureMatrix, j: number): Float64Array {
  const values = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) values[i] = matrix.data[i * matrix.cols + j];
  return values;
}
