import { ExperimentationException } from '../experimentation.exception';
import { assertCount, assertFinite, assertNonNegative, assertOpenUnitInterval } from '../validation';
import { studentTTwoSidedPValue, studentTUpperQuantile } from './distributions';
import type { IntervalEstimate, MomentSums } from './types';

/** Mean and sample variance (n − 1 in the denominator) from sums. */
export function meanAndVariance(sums: MomentSums): { mean: number; variance: number | null } {
  const mean = sums.sum / sums.n;
  if (sums.n < 2) return { mean, variance: null };
  // Σy² − (Σy)²/n can come out a few ulps below 0 for constant data; a variance is never negative.
  const variance = Math.max(0, (sums.sumOfSquares - (sums.sum * sums.sum) / sums.n) / (sums.n - 1));
  return { mean, variance };
}

export interface WelchTestResult extends IntervalEstimate {
  treatmentMean: number;
  controlMean: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general). */
  degreesOfFreedom: number;
  pValue: number;
}

/**
 * Welch's unequal-variance t-test for the difference of means (treatment − control) from per-arm
 * sums (B. L. Welch, Biometrika 34 (1947) 28–35), with its t interval; the same numbers as
 * scipy's `ttest_ind(equal_var=False)` and statsmodels' `CompareMeans(...).tconfint_diff(usevar='unequal')`.
 *
 * @returns null when an arm has fewer than 2 members or both arms have zero variance.
 * @throws ExperimentationException for invalid sums (negative n, Σy² < 0, Σy² < (Σy)²/n).
 */
export function welchTTest(treatment: MomentSums, control: MomentSums, alpha = 0.05): WelchTestResult | null {
  assertMomentSums(treatment, 'treatment');
  assertMomentSums(control, 'control');
  assertOpenUnitInterval(alpha, 'alpha');
  if (treatment.n < 2 || control.n < 2) return null;
  const treated = meanAndVariance(treatment);
  const untreated = meanAndVariance(control);
  const treatedTerm = (treated.variance ?? 0) / treatment.n;
  const controlTerm = (untreated.variance ?? 0) / control.n;
  const varianceOfDifference = treatedTerm + controlTerm;
  if (varianceOfDifference === 0) return null;
  const standardError = Math.sqrt(varianceOfDifference);
  const degreesOfFreedom = varianceOfDifference ** 2 / (treatedTerm ** 2 / (treatment.n - 1) + controlTerm ** 2 / (control.n - 1));
  const estimate = treated.mean - untreated.mean;
  const t = estimate / standardError;
  const halfWidth = studentTUpperQuantile(alpha / 2, degreesOfFreedom) * standardError;
  return {
    treatmentMean: treated.mean,
    controlMean: untreated.mean,
    estimate,
    standardError,
    lower: estimate - halfWidth,
    upper: estimate + halfWidth,
    t,
    degreesOfFreedom,
    pValue: studentTTwoSidedPValue(t, degreesOfFreedom),
  };
}

/** Validates sums of a numeric value; `path` prefixes the field names. */
export function assertMomentSums(sums: MomentSums, path: string): void {
  assertCount(sums.n, `${path}.n`);
  assertFinite(sums.sum, `${path}.sum`);
  assertNonNegative(sums.sumOfSquares, `${path}.sumOfSquares`);
  // Cauchy–Schwarz: n·Σy² ≥ (Σy)². A violation means the sums were not taken over the same rows.
  const slack = 1e-9 * Math.max(1, sums.sum * sums.sum);
  if (sums.n * sums.sumOfSquares + slack < sums.sum * sums.sum || (sums.n === 0 && (sums.sum !== 0 || sums.sumOfSquares !== 0))) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${path}.sumOfSquares`,
      'is too small for the given n and sum (n·Σy² must be ≥ (Σy)²)',
    );
  }
}
