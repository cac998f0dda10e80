// Special functions the BG/NBD and Gamma-Gamma likelihoods need, in double precision. Written here
// because the domain layer may import no numeric package (and none on npm is both maintained and
// small); each is checked against scipy / mpmath values in special-functions.spec.ts.

// Lanczos coefficients for g = 7, n = 9 (Numerical Recipes 3rd ed. / Godfrey): relative error of
// Γ below 1e-15 for positive arguments.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.9189385332046728;

/**
 * ln Γ(x) for x > 0.
 * @throws {RangeError} for x ≤ 0 or non-finite x.
 * @example logGamma(5) // ln 24
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma needs a finite positive argument, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const shifted = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (shifted + i);
  const base = shifted + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (shifted + 0.5) * Math.log(base) - base + Math.log(sum);
}

/**
 * ψ(x) = d/dx ln Γ(x) for x > 0: recurrence up to x ≥ 10, then the asymptotic series.
 * @throws {RangeError} for x ≤ 0 or non-finite x.
 * @example digamma(1) // −0.5772156649015329 (minus the Euler–Mascheroni constant)
 */
export function digamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`digamma needs a finite positive argument, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const inverseSquare = 1 / (x * x);
  // Bernoulli terms B_2k / (2k x^2k), k = 1..7
  const series =
    inverseSquare *
    (1 / 12 -
      inverseSquare *
        (1 / 120 -
          inverseSquare *
            (1 / 252 - inverseSquare * (1 / 240 - inverseSquare * (1 / 132 - inverseSquare * (691 / 32760 - inverseSquare / 12))))));
  return shift + Math.log(x) - 1 / (2 * x) - series;
}

/**
 * Gauss's hypergeometric function ₂F₁(a, b; c; z) by its power series, for 0 ≤ z < 1 and c > 0.
 * Callers choose parameters for which the terms stay bounded (see expectedTransactions: Euler's
 * transformation makes one of them a − 1 > −1), so the sum is accurate to a few ulps.
 * @throws {RangeError} when z is outside [0, 1), c ≤ 0, or the series has not converged after `maxTerms`.
 * @example hyp2f1(1, 1, 2, 0.5) // −ln(1 − 0.5) / 0.5 = 1.3862943611198906
 */
export function hyp2f1(a: number, b: number, c: number, z: number, maxTerms = 100_000): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 series needs 0 ≤ z < 1, got ${z}`);
  if (!(c > 0)) throw new RangeError(`hyp2f1 series needs c > 0, got ${c}`);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    // The term ratio tends to z; once it is below 1 the tail is at most |term| · ρ / (1 − ρ) with
    // ρ = max(next ratio, z). Stop when that is below the last bit of the sum.
    const ratio = Math.max(Math.abs((((a + n + 1) * (b + n + 1)) / ((c + n + 1) * (n + 2))) * z), z);
    if (ratio < 1 && (Math.abs(term) * ratio) / (1 - ratio) <= 1e-17 * Math.abs(sum)) return sum;
  }
  throw new RangeError(`hyp2f1(${a}, ${b}, ${c}, ${z}) did not converge in ${maxTerms} terms`);
}
