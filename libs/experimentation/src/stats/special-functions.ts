// Log-gamma, log-beta and the regularised incomplete beta and gamma functions, which give the
// Student t and chi-square distributions. Written here rather than taken from npm: the packages
// in node_modules do not include a statistics library, and these fit in a page.
//   log-beta:      the cancellation-free split of R's nmath lbeta.c (Stirling corrections).
//   beta, gamma:   continued fractions evaluated with the modified Lentz method, as in Press et
//                  al., Numerical Recipes 3rd ed., §6.2 and §6.4.

const LN_SQRT_2PI = 0.9189385332046728;
const EPSILON = Number.EPSILON;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/**
 * lnΓ(x) − [(x − ½) ln x − x + ½ ln 2π] for x ≥ 10: the Stirling series, whose next term is
 * below 1e-17 at x = 10.
 */
function stirlingCorrection(x: number): number {
  const inverse = 1 / x;
  const inverseSquare = inverse * inverse;
  const series =
    1 / 12 -
    inverseSquare *
      (1 / 360 -
        inverseSquare *
          (1 / 1260 -
            inverseSquare *
              (1 / 1680 -
                inverseSquare *
                  (1 / 1188 - inverseSquare * (691 / 360360 - inverseSquare * (1 / 156 - (inverseSquare * 3617) / 122400))))));
  return series * inverse;
}

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingCorrection(x);
  // Shift up to x ≥ 10 with Γ(x) = Γ(x + k) / (x (x + 1) … (x + k − 1)).
  let product = 1;
  let shifted = x;
  while (shifted < 10) {
    product *= shifted;
    shifted += 1;
  }
  return logGamma(shifted) - Math.log(product);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), without the cancellation of that difference. */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const sum = p + q;
  if (p >= 10) {
    const correction = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(sum);
    return -0.5 * Math.log(sum) + LN_SQRT_2PI + correction + (p - 0.5) * Math.log(p / sum) + (q - 0.5) * Math.log1p(-p / sum);
  }
  if (q >= 10) {
    const correction = stirlingCorrection(q) - stirlingCorrection(sum);
    return logGamma(p) + correction + p - p * Math.log(sum) + (q - 0.5) * Math.log1p(-p / sum);
  }
  return logGamma(p) + logGamma(q) - logGamma(sum);
}

/**
 * Regularised incomplete beta I_x(a, b). `complement` must be 1 − x; callers pass it computed
 * directly (e.g. t²/(ν + t²)) so values of x near 1 keep their precision.
 */
export function regularizedBeta(x: number, a: number, b: number, complement = 1 - x): number {
  if (x <= 0) return 0;
  if (complement <= 0) return 1;
  const logX = x > 0.5 ? Math.log1p(-complement) : Math.log(x);
  const logComplement = complement > 0.5 ? Math.log1p(-x) : Math.log(complement);
  const front = Math.exp(a * logX + b * logComplement - logBeta(a, b));
  // The continued fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use the symmetry
  // I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(complement, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const sum = a + b;
  let c = 1;
  let d = guardTiny(1 - (sum * x) / (a + 1));
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const twoM = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + twoM) * (a + twoM));
    d = 1 / guardTiny(1 + even * d);
    c = guardTiny(1 + even / c);
    result *= d * c;
    const odd = (-(a + m) * (sum + m) * x) / ((a + twoM) * (a + 1 + twoM));
    d = 1 / guardTiny(1 + odd * d);
    c = guardTiny(1 + odd / c);
    const step = d * c;
    result *= step;
    if (Math.abs(step - 1) <= EPSILON) return result;
  }
  return result;
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function regularizedGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(a * Math.log(x) - x - logGamma(a));
  if (x < a + 1) {
    // Series for the lower function P; Q = 1 − P is not small here, so nothing cancels badly.
    let denominator = a;
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITERATIONS; n++) {
      denominator += 1;
      term *= x / denominator;
      sum += term;
      if (Math.abs(term) <= Math.abs(sum) * EPSILON) break;
    }
    return 1 - sum * front;
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let result = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = 1 / guardTiny(an * d + b);
    c = guardTiny(b + an / c);
    const step = d * c;
    result *= step;
    if (Math.abs(step - 1) <= EPSILON) break;
  }
  return front * result;
}

function guardTiny(value: number): number {
  return Math.abs(value) < TINY ? TINY : value;
}
