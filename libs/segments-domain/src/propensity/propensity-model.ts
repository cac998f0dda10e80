import { ClusteringException } from '../clustering/clustering.exception';
import { selectRows, type FeatureMatrix } from '../clustering/feature-matrix';
import { applyPreprocessor, fitPreprocessor, type PreprocessingOptions, type Preprocessor } from '../clustering/preprocessing';
import { rocAuc } from './auc';
import { countPositives } from './binary-outcome';
import { reliabilityTable, type CalibrationReport } from './calibration';
import { fitLogisticRegression, sigmoid, type LogisticRegressionOptions } from './logistic-regression';
import { PropensityException, type PropensityExceptionCode } from './propensity.exception';
import { stratifiedSplit, validateSplit, type TrainTestSplit } from './train-test-split';

export interface PropensityOptions extends LogisticRegressionOptions {
  /** Share of profiles held out for evaluation (stratified, seeded). Default 0.25. */
  testFraction?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
  /**
   * A stable key per row (the feature query's `stable_key`): the seeded split is decided by
   * hash(seed, key) per class, so it does not depend on row order. Default: the row index as text.
   */
  keys?: readonly string[];
  /** A fixed split instead of the seeded one (e.g. to compare with another tool on the same rows). */
  split?: { train: ArrayLike<number>; test: ArrayLike<number> };
  /** Held-out AUC below which the model is refused. Default 0.6. */
  aucFloor?: number;
  /** Imputation, log1p and constant-feature policy; features are always standardised. */
  preprocessing?: Omit<PreprocessingOptions, 'scaling'>;
  /** Bins of the reliability table. Default 10 (deciles). */
  calibrationBins?: number;
}

/**
 * What a segment version stores for a propensity model: JSON-serialisable, so refresh-time scoring
 * uses exactly the trained model (preprocessing included) rather than a refit.
 */
export interface PropensityModel {
  kind: 'logistic-l2';
  version: 1;
  features: string[];
  preprocessor: Preprocessor;
  /** Weights on standardised features, in `features` order. */
  coefficients: number[];
  intercept: number;
  C: number;
  heldOutAuc: number;
  aucFloor: number;
}

export interface FeatureWeight {
  feature: string;
  /** Change in log-odds per standard deviation of the (transformed) feature. */
  standardised: number;
  /** Change in log-odds per unit of the original feature, or per unit of log(1 + x) when `transform` is log1p. */
  perOriginalUnit: number;
  transform: 'log1p' | 'none';
  /** exp(standardised): odds multiplier per standard deviation. */
  oddsRatioPerStd: number;
}

export interface PropensityReport {
  model: PropensityModel;
  heldOutAuc: number;
  trainAuc: number;
  /** Reliability of the held-out predictions. */
  calibration: CalibrationReport;
  /** Most influential first (largest |standardised|). */
  weights: FeatureWeight[];
  /** Intercept for the original (imputed, transformed but unscaled) features. */
  originalUnitsIntercept: number;
  split: {
    train: number;
    test: number;
    trainPositives: number;
    testPositives: number;
    method: 'stratified' | 'given';
    seed: number | null;
  };
  iterations: number;
  notes: string[];
}

export const DEFAULT_AUC_FLOOR = 0.6;

/**
 * Trains an L2-regularised logistic-regression propensity model on standardised features, evaluates
 * it on a held-out split (AUC, reliability table) and refuses it when the AUC is below the floor.
 * @throws {PropensityException} `invalid_outcome`, `single_class` (overall or in a split), feature
 *   errors (`missing_values`, `constant_feature`, ...), `not_converged`, and `auc_below_floor` with
 *   the report attached.
 * @example trainPropensityModel(features, outcome, { C: 1, seed: 7, preprocessing: { log1p: ['monetary'] } }).heldOutAuc
 */
export function trainPropensityModel(matrix: FeatureMatrix, outcome: ArrayLike<number>, options: PropensityOptions = {}): PropensityReport {
  if (outcome.length !== matrix.rows)
    throw new PropensityException('shape_mismatch', `${outcome.length} outcomes for ${matrix.rows} profiles`, 'outcome');
  countPositives(outcome);
  const aucFloor = options.aucFloor ?? DEFAULT_AUC_FLOOR;
  if (!(aucFloor >= 0 && aucFloor <= 1))
    throw new PropensityException('invalid_option', `must be between 0 and 1, got ${aucFloor}`, 'aucFloor');
  const split = options.split ? validateSplit(options.split, matrix.rows) : stratifiedSplit(outcome, options);
  const trainOutcome = pick(outcome, split.train);
  const testOutcome = pick(outcome, split.test);
  const trainPositives = countPositives(trainOutcome, 'split.train');
  const testPositives = countPositives(testOutcome, 'split.test');

  const preprocessor = asPropensityError(() =>
    fitPreprocessor(selectRows(matrix, split.train), { ...options.preprocessing, scaling: 'standard' }),
  );
  const standardised = asPropensityError(() => applyPreprocessor(preprocessor, matrix));
  const fit = fitLogisticRegression(selectRows(standardised, split.train), trainOutcome, options);
  if (!fit.converged) {
    throw new PropensityException(
      'not_converged',
      `Newton's method stopped after ${fit.iterations} iterations (scaled gradient ${fit.maxScaledGradient})`,
      'maxIterations',
    );
  }
  const C = options.C ?? 1;
  const model: PropensityModel = {
    kind: 'logistic-l2',
    version: 1,
    features: preprocessor.features.map((feature) => feature.name),
    preprocessor,
    coefficients: Array.from(fit.coefficients),
    intercept: fit.intercept,
    C,
    heldOutAuc: Number.NaN,
    aucFloor,
  };
  const scores = linearScores(model, standardised);
  const heldOutAuc = rocAuc(pick(scores, split.test), testOutcome);
  model.heldOutAuc = heldOutAuc;
  const report: PropensityReport = {
    model,
    heldOutAuc,
    trainAuc: rocAuc(pick(scores, split.train), trainOutcome),
    calibration: reliabilityTable(pick(scores, split.test), testOutcome, Math.min(options.calibrationBins ?? 10, split.test.length)),
    weights: featureWeights(model),
    originalUnitsIntercept:
      fit.intercept - preprocessor.features.reduce((sum, feature, j) => sum + (fit.coefficients[j] * feature.center) / feature.scale, 0),
    split: splitSummary(split, trainPositives, testPositives, options),
    iterations: fit.iterations,
    notes: [...preprocessor.notes],
  };
  if (heldOutAuc < aucFloor) {
    throw new PropensityException(
      'auc_below_floor',
      `held-out AUC ${heldOutAuc.toFixed(4)} is below the floor ${aucFloor}; the model is not published`,
      'aucFloor',
      report,
    );
  }
  return report;
}

/**
 * Probability of the outcome for each profile, with the stored model and its preprocessing.
 * @throws {PropensityException} feature errors (`unknown_feature`, `missing_values` under a reject policy, ...).
 */
export function scorePropensity(model: PropensityModel, matrix: FeatureMatrix): Float64Array {
  return linearScores(
    model,
    asPropensityError(() => applyPreprocessor(model.preprocessor, matrix)),
  );
}

function linearScores(model: PropensityModel, standardised: FeatureMatrix): Float64Array {
  const { data, rows, cols } = standardised;
  const scores = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = model.intercept;
    for (let j = 0; j < cols; j++) z += data[i * cols + j] * model.coefficients[j];
    scores[i] = sigmoid(z);
  }
  return scores;
}

function featureWeights(model: PropensityModel): FeatureWeight[] {
  return model.preprocessor.features
    .map((feature, j): FeatureWeight => ({
      feature: feature.name,
      standardised: model.coefficients[j],
      perOriginalUnit: model.coefficients[j] / feature.scale,
      transform: feature.log1p ? 'log1p' : 'none',
      oddsRatioPerStd: Math.exp(model.coefficients[j]),
    }))
    .sort((a, b) => Math.abs(b.standardised) - Math.abs(a.standardised));
}

function splitSummary(
  split: TrainTestSplit,
  trainPositives: number,
  testPositives: number,
  options: PropensityOptions,
): PropensityReport['split'] {
  return {
    train: split.train.length,
    test: split.test.length,
    trainPositives,
    testPositives,
    method: options.split ? 'given' : 'stratified',
    seed: options.split ? null : (options.seed ?? 0),
  };
}

function pick(values: ArrayLike<number>, indices: Int32Array): Float64Array {
  return Float64Array.from(indices, (index) => values[index]);
}

/** Preprocessing speaks ClusteringException; callers of this module get one error type. */
function asPropensityError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ClusteringException) {
      throw new PropensityException(error.code as PropensityExceptionCode, error.reason, error.field, undefined, error.profileId);
    }
    throw error;
  }
}
