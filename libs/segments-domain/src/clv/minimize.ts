// A small, careful minimiser for smooth likelihoods of a few parameters (BG/NBD: 4, Gamma-Gamma: 3).
// No optimisation package is installed and the domain layer may import none, so it is written here:
// BFGS with an Armijo backtracking line search, then Newton's method on the gradient (Hessian by
// central differences of the analytic gradient). The Newton stage matters: these likelihoods are very
// flat along one direction (smallest Hessian eigenvalue ~1e-5 of the mean log-likelihood), where BFGS
// stalls once function values stop changing within rounding, while the gradient can still be driven
// to ~1e-14, which pins the parameters to ~1e-9.

/** Value and gradient of the function to minimise at a point. */
export type SmoothObjective = (point: Float64Array) => { value: number; gradient: Float64Array };

export interface MinimizeOptions {
  /** Largest |gradient component| accepted as a minimum. Default 1e-10. */
  gradientTolerance?: number;
  /** BFGS iterations before the Newton stage. Default 1000. */
  maxBfgsIterations?: number;
  /** Newton iterations. Default 50. */
  maxNewtonIterations?: number;
  /** Largest change of any coordinate in one step (keeps exp(log-parameter) finite). Default 5. */
  maxStep?: number;
  /**
   * Largest remaining Newton step (max |H⁻¹ g|) accepted as a minimum, i.e. how precisely the
   * point must be pinned. Default 1e-6. Near a boundary where the function keeps decreasing (a
   * likelihood with no interior maximum) the gradient can be tiny while this step is large.
   */
  stepTolerance?: number;
}

export interface MinimizeResult {
  point: Float64Array;
  value: number;
  gradient: Float64Array;
  /** max |gradient component| at `point`. */
  gradientNorm: number;
  /** max |H⁻¹ g| at `point` (∞ when the Hessian is not positive definite). */
  newtonStepNorm: number;
  bfgsIterations: number;
  newtonIterations: number;
  /** Gradient within tolerance, the Hessian positive definite there and the remaining Newton step within tolerance. */
  converged: boolean;
}

const maxAbs = (vector: Float64Array) => vector.reduce((largest, value) => Math.max(largest, Math.abs(value)), 0);
const dot = (left: Float64Array, right: Float64Array) => left.reduce((sum, value, i) => sum + value * right[i], 0);

/** Evaluates safely: a non-finite value (overflow far from the optimum) reads as +∞ so the line search backs off. */
function evaluate(objective: SmoothObjective, point: Float64Array) {
  const result = objective(point);
  return Number.isFinite(result.value) && result.gradient.every(Number.isFinite)
    ? result
    : { value: Number.POSITIVE_INFINITY, gradient: result.gradient };
}

function bfgs(objective: SmoothObjective, start: Float64Array, maxIterations: number, maxStep: number, tolerance: number) {
  const n = start.length;
  let point = Float64Array.from(start);
  let current = evaluate(objective, point);
  if (!Number.isFinite(current.value)) return { point, current, iterations: 0 };
  let inverseHessian = identity(n);
  let iterations = 0;
  for (; iterations < maxIterations && maxAbs(current.gradient) > tolerance; iterations++) {
    let direction = multiply(inverseHessian, current.gradient).map((value) => -value);
    if (dot(direction, current.gradient) >= 0) {
      inverseHessian = identity(n);
      direction = current.gradient.map((value) => -value);
    }
    const slope = dot(direction, current.gradient);
    let step = Math.min(1, maxStep / maxAbs(direction));
    let next: ReturnType<typeof evaluate> | undefined;
    let nextPoint = point;
    for (; step > 1e-20; step /= 2) {
      nextPoint = point.map((value, i) => value + step * direction[i]);
      const candidate = evaluate(objective, nextPoint);
      if (candidate.value <= current.value + 1e-4 * step * slope) {
        next = candidate;
        break;
      }
    }
    if (!next) break; // no decrease representable any more: hand over to Newton
    // Stalled (decrease at the level of rounding): Newton finishes from here.
    const stalled = current.value - next.value <= 1e-15 * Math.abs(current.value);
    const s = nextPoint.map((value, i) => value - point[i]);
    const y = next.gradient.map((value, i) => value - current.gradient[i]);
    const sy = dot(s, y);
    if (sy > 1e-300) inverseHessian = bfgsUpdate(inverseHessian, s, y, sy);
    point = nextPoint;
    current = next;
    if (stalled) break;
  }
  return { point, current, iterations };
}

function newton(objective: SmoothObjective, start: Float64Array, maxIterations: number, maxStep: number, tolerance: number) {
  let point = start;
  let current = evaluate(objective, point);
  let iterations = 0;
  for (; iterations < maxIterations && maxAbs(current.gradient) > tolerance / 1000; iterations++) {
    const step = choleskySolve(centralHessian(objective, point), current.gradient);
    if (!step) break;
    const scale = Math.min(1, maxStep / maxAbs(step));
    let accepted = false;
    // Merit: the gradient's size (near a minimum function values no longer change within rounding).
    for (let damping = scale; damping > 1e-6; damping /= 2) {
      const nextPoint = point.map((value, i) => value - damping * step[i]);
      const next = evaluate(objective, nextPoint);
      if (Number.isFinite(next.value) && maxAbs(next.gradient) < maxAbs(current.gradient)) {
        point = nextPoint;
        current = next;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
  }
  return { point, current, iterations };
}

/**
 * Minimises a smooth function of a few unconstrained parameters (e.g. log-parameters of a likelihood).
 * Deterministic: same start, same arithmetic, same result.
 * @example minimizeSmooth((p) => ({ value: (p[0] - 1) ** 2, gradient: Float64Array.of(2 * (p[0] - 1)) }), [0]).point // [1]
 */
export function minimizeSmooth(objective: SmoothObjective, start: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  const tolerance = options.gradientTolerance ?? 1e-10;
  const maxStep = options.maxStep ?? 5;
  // BFGS brings the point close (|gradient| ≤ 1e-7), where Newton's method converges quadratically.
  const first = bfgs(objective, Float64Array.from(start), options.maxBfgsIterations ?? 1000, maxStep, Math.max(tolerance, 1e-7));
  const polished = newton(objective, first.point, options.maxNewtonIterations ?? 50, maxStep, tolerance);
  const gradientNorm = maxAbs(polished.current.gradient);
  const remainingStep = Number.isFinite(polished.current.value)
    ? choleskySolve(centralHessian(objective, polished.point), polished.current.gradient)
    : undefined;
  const newtonStepNorm = remainingStep ? maxAbs(remainingStep) : Number.POSITIVE_INFINITY;
  return {
    point: polished.point,
    value: polished.current.value,
    gradient: polished.current.gradient,
    gradientNorm,
    newtonStepNorm,
    bfgsIterations: first.iterations,
    newtonIterations: polished.iterations,
    converged: gradientNorm <= tolerance && newtonStepNorm <= (options.stepTolerance ?? 1e-6),
  };
}

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (__, j) => (i === j ? 1 : 0)));
}

function multiply(matrix: Float64Array[], vector: Float64Array): Float64Array {
  return Float64Array.from(matrix, (row) => dot(row, vector));
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1 / (yᵀ s). */
function bfgsUpdate(inverse: Float64Array[], s: Float64Array, y: Float64Array, sy: number): Float64Array[] {
  const rho = 1 / sy;
  const hy = multiply(inverse, y);
  const yhy = dot(y, hy);
  return inverse.map((row, i) =>
    row.map((value, j) => value - rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]),
  );
}

/** Symmetrised Hessian from central differences of the analytic gradient. */
function centralHessian(objective: SmoothObjective, point: Float64Array): Float64Array[] {
  const n = point.length;
  const h = 1e-5;
  const columns = Array.from({ length: n }, (_, j) => {
    const up = Float64Array.from(point);
    const down = Float64Array.from(point);
    up[j] += h;
    down[j] -= h;
    const plus = objective(up).gradient;
    const minus = objective(down).gradient;
    return plus.map((value, i) => (value - minus[i]) / (2 * h));
  });
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (__, j) => (columns[j][i] + columns[i][j]) / 2));
}

/** Solves A x = b by Cholesky; undefined when A is not (numerically) positive definite. */
function choleskySolve(matrix: Float64Array[], rhs: Float64Array): Float64Array | undefined {
  const n = rhs.length;
  const lower = identity(n).map((row) => row.fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i][j];
      for (let k = 0; k < j; k++) sum -= lower[i][k] * lower[j][k];
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return undefined;
        lower[i][i] = Math.sqrt(sum);
      } else lower[i][j] = sum / lower[j][j];
    }
  }
  const forward = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = rhs[i];
    for (let k = 0; k < i; k++) sum -= lower[i][k] * forward[k];
    forward[i] = sum / lower[i][i];
  }
  const solution = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = forward[i];
    for (let k = i + 1; k < n; k++) sum -= lower[k][i] * solution[k];
    solution[i] = sum / lower[i][i];
  }
  return solution;
}
