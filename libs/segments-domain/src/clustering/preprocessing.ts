import { ClusteringException } from './clustering.exception';
import { featureMatrix, selectColumns, type FeatureMatrix } from './feature-matrix';

/**
 * `standard`: (x − mean) / std with the population std (ddof 0, as scikit-learn's StandardScaler);
 * `minmax`: (x − min) / (max − min) into [0, 1]; `none`: values as they are.
 */
export type Scaling = 'standard' | 'minmax' | 'none';

// Bound once: inside jest's vm sandbox a global read per value is a slow lookup.
const { isNaN: isMissing, isFinite: isFiniteNumber } = Number;
const { log1p } = Math;

/**
 * What to do with a missing value (`NaN`, `null`): replace it by the median or mean of the observed
 * values of that feature (computed once at fit time, in original units, and reused when scoring), or
 * `reject` the input. Imputation is always reported in the preprocessor's `notes`.
 */
export type Imputation = 'median' | 'mean' | 'reject';

/** A feature whose observed values are all equal: `reject` (default, error) or `drop` it with a note. */
export type ConstantFeaturePolicy = 'reject' | 'drop';

export interface PreprocessingOptions {
  /** Default `standard`. */
  scaling?: Scaling;
  /** Features to transform with log(1 + x) before scaling: skewed money amounts, counts. Values must be > −1. */
  log1p?: readonly string[];
  /** Default `median`. */
  imputation?: Imputation;
  /** Default `reject`. */
  constantFeatures?: ConstantFeaturePolicy;
}

/** How one feature goes from raw value to model input: impute → optional log1p → (x − center) / scale. */
export interface FeatureTransform {
  name: string;
  log1p: boolean;
  /** Value that replaces a missing one, in original units. */
  fillValue: number;
  /** Missing values seen when fitting. */
  missingCount: number;
  center: number;
  scale: number;
}

/**
 * A fitted, JSON-serialisable preprocessing step. It is stored with the model so scoring at refresh
 * time applies exactly the transformation the model was trained with.
 */
export interface Preprocessor {
  scaling: Scaling;
  imputation: Imputation;
  features: FeatureTransform[];
  dropped: { name: string; reason: string }[];
  /** Human-readable account of imputations and dropped features. */
  notes: string[];
}

/**
 * Learns imputation values and scaling parameters from a matrix.
 * @throws {ClusteringException} `missing_values`, `non_finite`, `invalid_value`, `constant_feature`, `unknown_feature`, `too_few_rows`.
 * @example fitPreprocessor(matrix, { scaling: 'standard', log1p: ['monetary'] })
 */
export function fitPreprocessor(matrix: FeatureMatrix, options: PreprocessingOptions = {}): Preprocessor {
  const scaling = options.scaling ?? 'standard';
  const imputation = options.imputation ?? 'median';
  const log1pNames = new Set(options.log1p ?? []);
  for (const name of log1pNames) {
    if (!matrix.names.includes(name)) throw new ClusteringException('unknown_feature', `is listed for log1p but is not a feature`, name);
  }
  if (matrix.rows < 2)
    throw new ClusteringException('too_few_rows', `at least 2 profiles are needed to fit scaling, got ${matrix.rows}`, 'data');

  const features: FeatureTransform[] = [];
  const dropped: Preprocessor['dropped'] = [];
  const notes: string[] = [];
  matrix.names.forEach((name, j) => {
    const transform = fitFeature(matrix, j, name, { scaling, imputation, log1p: log1pNames.has(name) });
    if (transform.missingCount > 0) {
      notes.push(`${name}: ${transform.missingCount} missing value(s) imputed with the ${imputation} ${transform.fillValue}`);
    }
    if (transform.scale !== 0) {
      features.push(transform);
      return;
    }
    const reason = 'has the same value for every profile';
    if (options.constantFeatures !== 'drop') throw new ClusteringException('constant_feature', reason, name);
    dropped.push({ name, reason });
    notes.push(`${name}: dropped because it ${reason}`);
  });
  if (features.length === 0) throw new ClusteringException('constant_feature', 'every feature is constant', 'features');
  return { scaling, imputation, features, dropped, notes };
}

/**
 * Applies a fitted preprocessor to raw values (columns are matched by name, extra columns ignored).
 * @throws {ClusteringException} the same codes as fitting, for the new values.
 */
export function applyPreprocessor(preprocessor: Preprocessor, matrix: FeatureMatrix): FeatureMatrix {
  const names = preprocessor.features.map((feature) => feature.name);
  const input = selectColumns(matrix, names);
  const output = new Float64Array(input.data.length);
  const cols = names.length;
  preprocessor.features.forEach((feature, j) => {
    for (let i = 0; i < input.rows; i++) {
      const value = prepareValue(input.data[i * cols + j], feature, preprocessor.imputation, i);
      output[i * cols + j] = (value - feature.center) / feature.scale;
    }
  });
  return featureMatrix(output, input.rows, names);
}

/** Fits then applies: the model input for the training data. */
export function fitTransform(
  matrix: FeatureMatrix,
  options: PreprocessingOptions = {},
): { preprocessor: Preprocessor; matrix: FeatureMatrix } {
  const preprocessor = fitPreprocessor(matrix, options);
  return { preprocessor, matrix: applyPreprocessor(preprocessor, matrix) };
}

/**
 * Raw values with missing ones imputed (no log, no scaling): the units cluster profiles are reported in.
 */
export function imputeOnly(preprocessor: Preprocessor, matrix: FeatureMatrix): FeatureMatrix {
  const unscaled: Preprocessor = {
    ...preprocessor,
    features: preprocessor.features.map((feature) => ({ ...feature, log1p: false, center: 0, scale: 1 })),
  };
  return applyPreprocessor(unscaled, matrix);
}

interface FeatureFitOptions {
  scaling: Scaling;
  imputation: Imputation;
  log1p: boolean;
}

function fitFeature(matrix: FeatureMatrix, j: number, name: string, options: FeatureFitOptions): FeatureTransform {
  const raw = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) raw[i] = matrix.data[i * matrix.cols + j];
  const observed = raw.filter((value) => !isMissing(value));
  const missingCount = raw.length - observed.length;
  if (observed.length === 0) throw new ClusteringException('missing_values', 'every value is missing', name);
  if (missingCount > 0 && options.imputation === 'reject') {
    throw new ClusteringException('missing_values', `${missingCount} value(s) are missing and the imputation policy is reject`, name);
  }
  const fillValue = options.imputation === 'mean' ? mean(observed) : median(observed);
  const partial: FeatureTransform = { name, log1p: options.log1p, fillValue, missingCount, center: 0, scale: 1 };
  const prepared = raw.map((value, i) => prepareValue(value, partial, options.imputation, i));
  return { ...partial, ...scalingParameters(prepared, options.scaling) };
}

/** Imputes, checks and log-transforms one raw value. */
function prepareValue(raw: number, feature: FeatureTransform, imputation: Imputation, row: number): number {
  let value = raw;
  if (isMissing(value)) {
    if (imputation === 'reject')
      throw new ClusteringException('missing_values', `row ${row} is missing and the imputation policy is reject`, feature.name);
    value = feature.fillValue;
  }
  if (!isFiniteNumber(value)) throw new ClusteringException('non_finite', `row ${row} is ${value}`, feature.name);
  if (!feature.log1p) return value;
  if (value <= -1) throw new ClusteringException('invalid_value', `row ${row} is ${value}; log1p needs values above -1`, feature.name);
  return log1p(value);
}

/** Center and scale; scale 0 marks a constant feature. */
function scalingParameters(values: Float64Array, scaling: Scaling): { center: number; scale: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === max) return { center: min, scale: 0 };
  switch (scaling) {
    case 'standard': {
      const center = mean(values);
      return { center, scale: Math.sqrt(populationVariance(values, center)) };
    }
    case 'minmax':
      return { center: min, scale: max - min };
    case 'none':
      return { center: 0, scale: 1 };
    default:
      return unknownScaling(scaling);
  }
}

/** Closes the scaling switch: a scaling from outside the type is refused as an option error. */
function unknownScaling(value: never): never {
  throw new ClusteringException('invalid_option', `unknown scaling ${String(value)}`, 'scaling');
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Variance with divisor n (ddof 0), two-pass for accuracy. */
export function populationVariance(values: ArrayLike<number>, center = mean(values)): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const delta = values[i] - center;
    sum += delta * delta;
  }
  return sum / values.length;
}

/** Median with the two middle values averaged for an even count (numpy's definition). */
export function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
