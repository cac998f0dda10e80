import { type MatrixLike } from '../clustering/feature-matrix';
import { countPositives } from './binary-outcome';
import { PropensityException } from './propensity.exception';

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength, as scikit-learn's `C`. Default 1. */
  C?: number;
  /** Newton iterations. Default 100 (it usually needs fewer than 10). */
  maxIterations?: number;
  /** Stop when every gradient component of the objective ÷ (C · rows) is at most this. Default 1e-10. */
  tolerance?: number;
}

export interface LogisticRegressionFit {
  /** One weight per column of the input (in the input's units). */
  coefficients: Float64Array;
  intercept: number;
  iterations: number;
  converged: boolean;
  /** C · Σ logloss + ½‖w‖² at the solution. */
  objective: number;
  /** Largest |gradient component| ÷ (C · rows) at the solution. */
  maxScaledGradient: number;
}

// Bound once: inside jest's vm sandbox a `Math.x` call per row is a slow global lookup.
const { exp, log1p, abs, max } = Math;

/**
 * L2-regularised logistic regression, minimising exactly scikit-learn's objective
 * `C · Σᵢ logloss(yᵢ, xᵢ·w + b) + ½‖w‖²` (intercept not penalised), by Newton's method with a
 * Cholesky solve and a backtracking line search: deterministic, and converged to ~1e-10, so the
 * coefficients match scikit-learn's to far better than 1e-6. Meant for tens of standardised
 * features; the Hessian costs O(rows · features²) per iteration.
 * @throws {PropensityException} `invalid_outcome`, `single_class`, `shape_mismatch`, `invalid_option`.
 * @example fitLogisticRegression(standardised, outcome, { C: 1 }).coefficients
 */
export function fitLogisticRegression(
  matrix: MatrixLike,
  outcome: ArrayLike<number>,
  options: LogisticRegressionOptions = {},
): LogisticRegressionFit {
  const C = options.C ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  validate(matrix, outcome, { C, maxIterations, tolerance });
  const size = matrix.cols + 1; // weights, then the intercept
  const theta = new Float64Array(size);
  const scale = C * matrix.rows;
  let state = evaluate(matrix, outcome, theta, C, true);
  let iterations = 0;
  let converged = maxAbs(state.gradient) / scale <= tolerance;
  while (!converged && iterations < maxIterations) {
    iterations++;
    const step = solveCholesky(state.hessian as Float64Array, state.gradient, size);
    const next = lineSearch(matrix, outcome, theta, step, state, C);
    theta.set(next.theta);
    state = evaluate(matrix, outcome, theta, C, true);
    converged = maxAbs(state.gradient) / scale <= tolerance || !next.moved;
  }
  return {
    coefficients: theta.slice(0, matrix.cols),
    intercept: theta[matrix.cols],
    iterations,
    converged: maxAbs(state.gradient) / scale <= max(tolerance, 1e-8),
    objective: state.objective,
    maxScaledGradient: maxAbs(state.gradient) / scale,
  };
}

/** The logistic function, without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + exp(-z));
  const e = exp(z);
  return e / (1 + e);
}

interface Evaluation {
  objective: number;
  gradient: Float64Array;
  hessian?: Float64Array;
}

/** Rows whose Hessian terms are added together before touching the Hessian (see {@link accumulateHessianBlock}). */
const HESSIAN_BLOCK = 8;

/** Objective, gradient and (optionally) Hessian of the penalised log-loss at θ = [w, b]. */
function evaluate(matrix: MatrixLike, outcome: ArrayLike<number>, theta: Float64Array, C: number, withHessian: boolean): Evaluation {
  const { data, rows, cols } = matrix;
  const size = cols + 1;
  const gradient = new Float64Array(size);
  const hessian = withHessian ? new Float64Array(size * size) : undefined;
  const weights = new Float64Array(HESSIAN_BLOCK);
  const intercept = theta[cols];
  let loss = 0;
  for (let start = 0; start < rows; start += HESSIAN_BLOCK) {
    const end = Math.min(rows, start + HESSIAN_BLOCK);
    for (let i = start, offset = start * cols; i < end; i++, offset += cols) {
      let z = intercept;
      for (let j = 0; j < cols; j++) z += data[offset + j] * theta[j];
      const y = outcome[i];
      // log(1 + e^z) − y·z, written to stay finite for large |z|.
      loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z;
      const p = sigmoid(z);
      const residual = p - y;
      for (let j = 0; j < cols; j++) gradient[j] += residual * data[offset + j];
      gradient[cols] += residual;
      weights[i - start] = p * (1 - p);
    }
    if (!hessian) continue;
    if (end - start === HESSIAN_BLOCK) accumulateHessianBlock(hessian, data, start * cols, cols, weights);
    else for (let i = start; i < end; i++) accumulateHessian(hessian, data, i * cols, cols, weights[i - start]);
  }
  let penalty = 0;
  for (let j = 0; j < size; j++) gradient[j] *= C;
  for (let j = 0; j < cols; j++) {
    penalty += theta[j] * theta[j];
    gradient[j] += theta[j];
  }
  if (hessian) {
    for (let a = 0; a < size; a++) for (let b = a; b < size; b++) hessian[b * size + a] = hessian[a * size + b] *= C;
    for (let j = 0; j < cols; j++) hessian[j * size + j] += 1;
  }
  return { objective: C * loss + penalty / 2, gradient, hessian };
}

/** Adds weight · x̃ x̃ᵀ (x̃ = [x, 1]) to the upper triangle. */
function accumulateHessian(hessian: Float64Array, data: Float64Array, offset: number, cols: number, weight: number): void {
  const size = cols + 1;
  for (let a = 0; a < cols; a++) {
    const wa = weight * data[offset + a];
    const row = a * size;
    for (let b = a; b < cols; b++) hessian[row + b] += wa * data[offset + b];
    hessian[row + cols] += wa;
  }
  hessian[cols * size + cols] += weight;
}

/**
 * Adds Σₖ weightₖ · x̃ₖ x̃ₖᵀ for the 8 consecutive rows starting at `offset` to the upper triangle.
 * The same products as 8 {@link accumulateHessian} calls, but each Hessian cell is read and written
 * once per 8 rows instead of once per row: the per-row loop was bound by those loads and stores
 * (`npm run bench -- models`, bench/README.md: about 1.8× less CPU for the whole fit). Only the
 * rounding order of the sums differs.
 */
function accumulateHessianBlock(hessian: Float64Array, data: Float64Array, offset: number, cols: number, weights: Float64Array): void {
  const size = cols + 1;
  const o0 = offset,
    o1 = o0 + cols,
    o2 = o1 + cols,
    o3 = o2 + cols,
    o4 = o3 + cols,
    o5 = o4 + cols,
    o6 = o5 + cols,
    o7 = o6 + cols;
  const w0 = weights[0],
    w1 = weights[1],
    w2 = weights[2],
    w3 = weights[3],
    w4 = weights[4],
    w5 = weights[5],
    w6 = weights[6],
    w7 = weights[7];
  for (let a = 0; a < cols; a++) {
    const a0 = w0 * data[o0 + a],
      a1 = w1 * data[o1 + a],
      a2 = w2 * data[o2 + a],
      a3 = w3 * data[o3 + a];
    const a4 = w4 * data[o4 + a],
      a5 = w5 * data[o5 + a],
      a6 = w6 * data[o6 + a],
      a7 = w7 * data[o7 + a];
    const row = a * size;
    for (let b = a; b < cols; b++)
      hessian[row + b] +=
        a0 * data[o0 + b] +
        a1 * data[o1 + b] +
        a2 * data[o2 + b] +
        a3 * data[o3 + b] +
        a4 * data[o4 + b] +
        a5 * data[o5 + b] +
        a6 * data[o6 + b] +
        a7 * data[o7 + b];
    hessian[row + cols] += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  }
  hessian[cols * size + cols] += w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7;
}

/** Halves the Newton step until the objective decreases enough (Armijo); reports whether θ moved. */
function lineSearch(
  matrix: MatrixLike,
  outcome: ArrayLike<number>,
  theta: Float64Array,
  step: Float64Array,
  current: Evaluation,
  C: number,
): { theta: Float64Array; moved: boolean } {
  let slope = 0;
  for (let j = 0; j < step.length; j++) slope += current.gradient[j] * step[j];
  const candidate = new Float64Array(theta.length);
  for (let t = 1; t > 1e-12; t /= 2) {
    for (let j = 0; j < theta.length; j++) candidate[j] = theta[j] - t * step[j];
    const objective = evaluate(matrix, outcome, candidate, C, false).objective;
    if (objective <= current.objective - 1e-4 * t * slope) return { theta: candidate, moved: true };
  }
  return { theta, moved: false };
}

/** Solves H x = g for a symmetric positive-definite H (Cholesky, with a tiny ridge if rounding breaks definiteness). */
function solveCholesky(hessian: Float64Array, gradient: Float64Array, size: number): Float64Array {
  let trace = 0;
  for (let j = 0; j < size; j++) trace += hessian[j * size + j];
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-12 * trace : ridge * 10) {
    const lower = choleskyFactor(hessian, size, ridge);
    if (lower) return substitute(lower, gradient, size);
    if (ridge > trace) throw new PropensityException('not_converged', 'the Hessian is not positive definite', 'features');
  }
}

function choleskyFactor(matrix: Float64Array, size: number, ridge: number): Float64Array | undefined {
  const lower = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * size + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= lower[i * size + k] * lower[j * size + k];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        lower[i * size + i] = Math.sqrt(sum);
      } else {
        lower[i * size + j] = sum / lower[j * size + j];
      }
    }
  }
  return lower;
}

function substitute(lower: Float64Array, rhs: Float64Array, size: number): Float64Array {
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let sum = rhs[i];
    for (let k = 0; k < i; k++) sum -= lower[i * size + k] * y[k];
    y[i] = sum / lower[i * size + i];
  }
  const x = new Float64Array(size);
  for (let i = size - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < size; k++) sum -= lower[k * size + i] * x[k];
    x[i] = sum / lower[i * size + i];
  }
  return x;
}

function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (const value of values) largest = max(largest, abs(value));
  return largest;
}

function validate(matrix: MatrixLike, outcome: ArrayLike<number>, options: Required<LogisticRegressionOptions>): void {
  if (!(options.C > 0) || !Number.isFinite(options.C))
    throw new PropensityException('invalid_option', `must be a positive number, got ${options.C}`, 'C');
  if (!Number.isInteger(options.maxIterations) || options.maxIterations < 1)
    throw new PropensityException('invalid_option', 'must be a positive integer', 'maxIterations');
  if (!(options.tolerance > 0)) throw new PropensityException('invalid_option', 'must be positive', 'tolerance');
  if (outcome.length !== matrix.rows)
    throw new PropensityException('shape_mismatch', `${outcome.length} outcomes for ${matrix.rows} profiles`, 'outcome');
  countPositives(outcome);
  for (const value of matrix.data) {
    if (!Number.isFinite(value))
      throw new PropensityException('non_finite', 'features must be finite (impute and scale first)', 'features');
  }
}
