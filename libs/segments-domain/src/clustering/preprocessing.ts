import { ClusteringException } from './clustering.exception';
import { featureMatrix, rowName, selectColumns, type FeatureMatrix } from './feature-matrix';
import { quickselect } from './quickselect';

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
  /** Features to transform with log(1 + x) before scaling: skewed money amounts, counts. Values must be > −1 (after `clip` and `shift`). */
  log1p?: readonly string[];
  /** Per feature: bounds applied to each value (after imputation, before `shift` and `log1p`): `{ min: 0 }` turns net refunds into 0. */
  clip?: Readonly<Record<string, ClipBounds>>;
  /** Per feature: a constant added to each value (after `clip`, before `log1p`). */
  shift?: Readonly<Record<string, number>>;
  /** Per categorical column: how many of its most frequent values get a column of their own. Default {@link DEFAULT_TOP_LEVELS}. */
  topLevels?: Readonly<Record<string, number>>;
  /** Default `median`. */
  imputation?: Imputation;
  /** Default `reject`. */
  constantFeatures?: ConstantFeaturePolicy;
}

export interface ClipBounds {
  min?: number;
  max?: number;
}

/** Levels of a categorical column kept as columns of their own when `topLevels` does not say. */
export const DEFAULT_TOP_LEVELS = 10;

/**
 * How one feature goes from raw value to model input: impute → optional clip → optional shift →
 * optional log1p → (x − center) / scale. A one-hot column (`oneHot`) is instead the 0/1 indicator
 * of one level of a categorical column (or of its other or missing values), then scaled the same way.
 */
export interface FeatureTransform {
  name: string;
  log1p: boolean;
  /** Value that replaces a missing one, in original units. */
  fillValue: number;
  /** Missing values seen when fitting. */
  missingCount: number;
  center: number;
  scale: number;
  /** Absent in models fitted before clipping existed: no bounds. */
  clip?: ClipBounds;
  /** Absent: 0. */
  shift?: number;
  /** A one-hot column of the categorical column `of`. */
  oneHot?: OneHotLevel;
}

/**
 * Which values of a categorical column a one-hot column indicates: `level` (one value), `other`
 * (a value that is not a kept level: rare at fit time, or never seen then), or `missing` (no value).
 */
export type OneHotLevel = { of: string; level: string } | { of: string; other: true } | { of: string; missing: true };

/**
 * A fitted, JSON-serialisable preprocessing step. It is stored with the model so scoring at refresh
 * time applies exactly the transformation the model was trained with (kept levels included).
 */
export interface Preprocessor {
  scaling: Scaling;
  imputation: Imputation;
  features: FeatureTransform[];
  dropped: { name: string; reason: string }[];
  /** Human-readable account of imputations, encodings and dropped features. */
  notes: string[];
}

/**
 * Learns imputation values, kept levels of categorical columns and scaling parameters from a matrix.
 * A categorical column (`matrix.categories`) becomes one-hot columns: its `topLevels` most frequent
 * values (ties: the smaller value in code-point order first) each get `<name>=<value>`; any other
 * value goes to `<name>:other` and no value to `<name>:missing` (each only when the fitting rows have
 * one). The levels are stored, so scoring maps a value never seen at fit time to `other`.
 * @throws {ClusteringException} `missing_values`, `non_finite`, `invalid_value`, `constant_feature`, `unknown_feature`, `too_few_rows`, `invalid_option`.
 * @example fitPreprocessor(matrix, { scaling: 'standard', log1p: ['monetary'], clip: { monetary: { min: 0 } } })
 */
export function fitPreprocessor(matrix: FeatureMatrix, options: PreprocessingOptions = {}): Preprocessor {
  const scaling = options.scaling ?? 'standard';
  const imputation = options.imputation ?? 'median';
  const log1pNames = new Set(options.log1p ?? []);
  checkOptionNames(matrix, options, log1pNames);
  if (matrix.rows < 2)
    throw new ClusteringException('too_few_rows', `at least 2 profiles are needed to fit scaling, got ${matrix.rows}`, 'data');

  const features: FeatureTransform[] = [];
  const dropped: Preprocessor['dropped'] = [];
  const notes: string[] = [];
  const keep = (transform: FeatureTransform): void => {
    if (transform.scale !== 0) {
      features.push(transform);
      return;
    }
    const reason = transform.oneHot ? 'is the same for every profile (one level only)' : 'has the same value for every profile';
    if (options.constantFeatures !== 'drop') throw new ClusteringException('constant_feature', reason, transform.name);
    dropped.push({ name: transform.name, reason });
    notes.push(`${transform.name}: dropped because it ${reason}`);
  };
  matrix.names.forEach((name, j) => {
    const levels = matrix.categories?.[name];
    if (levels) {
      const encoded = fitOneHot(matrix, j, name, levels, options.topLevels?.[name] ?? DEFAULT_TOP_LEVELS, scaling);
      notes.push(encoded.note);
      encoded.columns.forEach(keep);
      return;
    }
    const transform = fitFeature(matrix, j, name, {
      scaling,
      imputation,
      log1p: log1pNames.has(name),
      clip: options.clip?.[name],
      shift: options.shift?.[name],
    });
    if (transform.missingCount > 0) {
      notes.push(`${name}: ${transform.missingCount} missing value(s) imputed with the ${imputation} ${transform.fillValue}`);
    }
    keep(transform);
  });
  if (features.length === 0) throw new ClusteringException('constant_feature', 'every feature is constant', 'features');
  return { scaling, imputation, features, dropped, notes };
}

/**
 * Applies a fitted preprocessor to raw values (columns are matched by name, extra columns ignored).
 * @throws {ClusteringException} the same codes as fitting, for the new values.
 */
export function applyPreprocessor(preprocessor: Preprocessor, matrix: FeatureMatrix): FeatureMatrix {
  const sources = [...new Set(preprocessor.features.map(sourceColumn))];
  const input = selectColumns(matrix, sources);
  const names = preprocessor.features.map((feature) => feature.name);
  const cols = names.length;
  const output = new Float64Array(input.rows * cols);
  preprocessor.features.forEach((feature, j) => {
    const from = sources.indexOf(sourceColumn(feature));
    const indicator = feature.oneHot ? oneHotIndicator(preprocessor, feature.oneHot, input) : undefined;
    for (let i = 0; i < input.rows; i++) {
      const raw = input.data[i * input.cols + from];
      const value = indicator ? indicator(raw) : prepareValue(raw, feature, preprocessor.imputation, input, i);
      output[i * cols + j] = (value - feature.center) / feature.scale;
    }
  });
  return featureMatrix(output, input.rows, names, { rowLabels: input.rowLabels });
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
 * Raw values with missing ones imputed (no clip, shift, log or scaling; one-hot columns as 0/1): the
 * units cluster profiles are reported in.
 */
export function imputeOnly(preprocessor: Preprocessor, matrix: FeatureMatrix): FeatureMatrix {
  const unscaled: Preprocessor = {
    ...preprocessor,
    features: preprocessor.features.map(({ clip: _clip, shift: _shift, ...feature }) => ({
      ...feature,
      log1p: false,
      center: 0,
      scale: 1,
    })),
  };
  return applyPreprocessor(unscaled, matrix);
}

/** The input column a transform reads: the categorical column of a one-hot column, else its own. */
export function sourceColumn(feature: FeatureTransform): string {
  return feature.oneHot ? feature.oneHot.of : feature.name;
}

interface FeatureFitOptions {
  scaling: Scaling;
  imputation: Imputation;
  log1p: boolean;
  clip?: ClipBounds;
  shift?: number;
}

function checkOptionNames(matrix: FeatureMatrix, options: PreprocessingOptions, log1pNames: Set<string>): void {
  const perFeature: [string, Iterable<string>][] = [
    ['log1p', log1pNames],
    ['clip', Object.keys(options.clip ?? {})],
    ['shift', Object.keys(options.shift ?? {})],
  ];
  for (const [option, names] of perFeature) {
    for (const name of names) {
      if (!matrix.names.includes(name))
        throw new ClusteringException('unknown_feature', `is listed for ${option} but is not a feature`, name);
      if (matrix.categories?.[name])
        throw new ClusteringException(
          'invalid_option',
          `is categorical (one-hot encoded); ${option} applies to numeric features only`,
          name,
        );
    }
  }
  for (const [name, bounds] of Object.entries(options.clip ?? {})) {
    if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max)
      throw new ClusteringException('invalid_option', `clip.min ${bounds.min} is above clip.max ${bounds.max}`, name);
  }
  for (const [name, count] of Object.entries(options.topLevels ?? {})) {
    if (!(Number.isInteger(count) && count >= 1))
      throw new ClusteringException('invalid_option', `topLevels must be an integer ≥ 1, got ${count}`, name);
  }
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
  if (options.clip) partial.clip = { ...options.clip };
  if (options.shift !== undefined && options.shift !== 0) partial.shift = options.shift;
  const prepared = raw.map((value, i) => prepareValue(value, partial, options.imputation, matrix, i));
  return { ...partial, ...scalingParameters(prepared, options.scaling) };
}

/**
 * One-hot columns of categorical column j: counts the coded values of the fitting rows, keeps the
 * `topLevels` most frequent (ties: smaller value first, in code-point order), and adds `other` /
 * `missing` columns when the fitting rows have such values.
 */
function fitOneHot(
  matrix: FeatureMatrix,
  j: number,
  name: string,
  levels: readonly string[],
  topLevels: number,
  scaling: Scaling,
): { columns: FeatureTransform[]; note: string } {
  const counts = new Float64Array(levels.length);
  let missing = 0;
  for (let i = 0; i < matrix.rows; i++) {
    const code = matrix.data[i * matrix.cols + j];
    if (isMissing(code)) missing++;
    else counts[code]++;
  }
  const seen = levels.map((level, code) => ({ level, count: counts[code] })).filter((entry) => entry.count > 0);
  seen.sort((a, b) => b.count - a.count || (a.level < b.level ? -1 : a.level > b.level ? 1 : 0));
  const kept = seen.slice(0, topLevels);
  const others = seen.slice(topLevels);
  const otherCount = others.reduce((sum, entry) => sum + entry.count, 0);
  const rows = matrix.rows;
  const indicatorColumn = (columnName: string, oneHot: OneHotLevel, ones: number): FeatureTransform => ({
    name: columnName,
    log1p: false,
    fillValue: 0,
    missingCount: 0,
    oneHot,
    ...indicatorScaling(ones, rows, scaling),
  });
  const columns = kept.map((entry) => indicatorColumn(`${name}=${entry.level}`, { of: name, level: entry.level }, entry.count));
  if (otherCount > 0) columns.push(indicatorColumn(`${name}:other`, { of: name, other: true }, otherCount));
  if (missing > 0) columns.push(indicatorColumn(`${name}:missing`, { of: name, missing: true }, missing));
  const note =
    `${name}: one-hot, ${kept.length} level(s) kept` +
    (others.length ? `, ${others.length} rarer level(s) (${otherCount} profile(s)) as ${name}:other` : '') +
    (missing ? `, ${missing} missing as ${name}:missing` : '');
  return { columns, note };
}

/** Center and scale of a 0/1 column with `ones` ones in `rows` rows (the same figures `scalingParameters` gives). */
function indicatorScaling(ones: number, rows: number, scaling: Scaling): { center: number; scale: number } {
  const column = new Float64Array(rows);
  column.fill(1, 0, ones);
  return scalingParameters(column, scaling);
}

/** The 0/1 value of a one-hot column for a coded value of its categorical column in `input`. */
function oneHotIndicator(preprocessor: Preprocessor, oneHot: OneHotLevel, input: FeatureMatrix): (code: number) => number {
  const levels = input.categories?.[oneHot.of];
  if (!levels) throw new ClusteringException('shape_mismatch', 'was one-hot encoded when fitted but is not categorical here', oneHot.of);
  if ('missing' in oneHot) return (code) => (isMissing(code) ? 1 : 0);
  if ('level' in oneHot) {
    const wanted = levels.indexOf(oneHot.level);
    return (code) => (code === wanted ? 1 : 0);
  }
  const keptLevels = new Set(
    preprocessor.features.flatMap((feature) =>
      feature.oneHot?.of === oneHot.of && 'level' in feature.oneHot ? [feature.oneHot.level] : [],
    ),
  );
  const isOther = levels.map((level) => !keptLevels.has(level));
  return (code) => (!isMissing(code) && isOther[code] ? 1 : 0);
}

/** Imputes, checks, clips, shifts and log-transforms one raw value. */
function prepareValue(raw: number, feature: FeatureTransform, imputation: Imputation, matrix: FeatureMatrix, row: number): number {
  let value = raw;
  if (isMissing(value)) {
    if (imputation === 'reject')
      throw new ClusteringException(
        'missing_values',
        `${rowName(matrix, row)} has no value and the imputation policy is reject`,
        feature.name,
        matrix.rowLabels?.[row],
      );
    value = feature.fillValue;
  }
  if (!isFiniteNumber(value))
    throw new ClusteringException('non_finite', `${rowName(matrix, row)} has ${value}`, feature.name, matrix.rowLabels?.[row]);
  const clip = feature.clip;
  if (clip) {
    if (clip.min !== undefined && value < clip.min) value = clip.min;
    if (clip.max !== undefined && value > clip.max) value = clip.max;
  }
  if (feature.shift) value += feature.shift;
  if (!feature.log1p) return value;
  if (value <= -1)
    throw new ClusteringException(
      'invalid_value',
      `${rowName(matrix, row)} has ${value}${feature.clip || feature.shift ? ' after clip and shift' : ''}; log1p needs values above -1 (set the feature's clip.min, e.g. 0, or a shift)`,
      feature.name,
      matrix.rowLabels?.[row],
    );
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
  // The middle order statistic(s) by quickselect, not a full sort: Node's typed-array sort made the
  // median imputation of a 1M-row propensity fit cost seconds (bench/README.md, models).
  const order = Float64Array.from(values);
  const middle = order.length >> 1;
  quickselect(order, 0, order.length - 1, middle);
  if (order.length % 2 === 1) return order[middle];
  let below = order[0]; // the largest value left of the middle one is the other middle value
  for (let i = 1; i < middle; i++) if (order[i] > below) below = order[i];
  return (below + order[middle]) / 2;
}
