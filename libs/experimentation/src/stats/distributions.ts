import { erfc, normalUpperQuantile } from './normal';
import { logBeta, regularizedBeta, regularizedGammaQ } from './special-functions';

/**
 * Two-sided p-value of a Student t statistic with `degreesOfFreedom` (not necessarily an integer,
 * as with Welch's test): P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, ½).
 */
export function studentTTwoSidedPValue(t: number, degreesOfFreedom: number): number {
  const squared = t * t;
  const total = degreesOfFreedom + squared;
  return regularizedBeta(degreesOfFreedom / total, degreesOfFreedom / 2, 0.5, squared / total);
}

/** Upper tail P(T ≥ t) of Student's t. */
export function studentTSf(t: number, degreesOfFreedom: number): number {
  const half = 0.5 * studentTTwoSidedPValue(t, degreesOfFreedom);
  return t >= 0 ? half : 1 - half;
}

/** Density of Student's t. */
export function studentTPdf(t: number, degreesOfFreedom: number): number {
  const nu = degreesOfFreedom;
  return Math.exp(-((nu + 1) / 2) * Math.log1p((t * t) / nu) - 0.5 * Math.log(nu) - logBeta(nu / 2, 0.5));
}

/**
 * The t with P(T ≥ t) = `upperTail` (0 < upperTail < ½), e.g. the critical value of a two-sided
 * interval at level α is `studentTUpperQuantile(α / 2, ν)`.
 *
 * Newton's method on the survival function, started at the normal quantile: the survival function
 * is convex for t > 0 and the normal quantile lies below the root, so the iterates increase
 * monotonically to it.
 */
export function studentTUpperQuantile(upperTail: number, degreesOfFreedom: number): number {
  let t = normalUpperQuantile(upperTail);
  for (let iteration = 0; iteration < 200; iteration++) {
    const step = (studentTSf(t, degreesOfFreedom) - upperTail) / studentTPdf(t, degreesOfFreedom);
    t += step;
    if (Math.abs(step) <= 4 * Number.EPSILON * Math.abs(t)) break;
  }
  return t;
}

/** Upper tail P(X ≥ x) of a chi-square distribution with k degrees of freedom. */
export function chiSquareSf(x: number, degreesOfFreedom: number): number {
  if (x <= 0) return 1;
  // One degree of freedom is the square of a standard normal: erfc is exact to the last bits.
  if (degreesOfFreedom === 1) return erfc(Math.sqrt(x / 2));
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2);
}
