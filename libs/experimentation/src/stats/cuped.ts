import { ExperimentationException } from '../experimentation.exception';
import { assertCount, assertFinite, assertNonNegative, assertOpenUnitInterval } from '../validation';
import { normalTwoSidedPValue, normalUpperQuantile } from './normal';
import type { IntervalEstimate } from './types';

/**
 * Per-arm sums for CUPED: Y is the KPI in the window after exposure, X the same KPI per member over
 * a pre-exposure window (0 for members without activity). For a binary KPI, Σy² = Σy.
 */
export interface CupedSums {
  n: number;
  sumY: number;
  sumX: number;
  sumYY: number;
  sumXX: number;
  sumXY: number;
}

export interface MeanDifference extends IntervalEstimate {
  z: number;
  pValue: number;
}

export interface CupedResult {
  /** θ = Cov(Y, X) / Var(X) over both arms pooled; null when X is constant (no information). */
  theta: number | null;
  /** Difference of plain means, normal interval with per-arm sample variances. */
  plain: MeanDifference;
  /** Difference of CUPED-adjusted means; null when θ is null or the adjusted variance is 0. */
  adjusted: MeanDifference | null;
  /** 1 − Var(adjusted difference) / Var(plain difference); null when `adjusted` is null. */
  varianceReduction: number | null;
}

/**
 * CUPED (Deng, Xu, Kohavi & Walker, "Improving the sensitivity of online controlled experiments by
 * utilizing pre-experiment data", WSDM 2013). With θ from the pooled arms, each member's
 * Y − θ(X − X̄) has the same expectation and a variance smaller by the factor 1 − ρ²(X, Y).
 * Per arm: Ȳ_adj = Ȳ − θ(X̄_arm − X̄_pooled), Var_adj = Var(Y) − 2θ·Cov(X, Y) + θ²·Var(X) (sample
 * moments, n − 1); the difference gets a normal (large-sample) interval and two-sided z-test.
 * Since X is measured before exposure, it is independent of the assignment and the adjusted
 * difference stays unbiased.
 *
 * @returns null when an arm has fewer than 2 members or the plain difference has zero variance.
 * @throws ExperimentationException for invalid sums.
 */
export function cupedDifference(treatment: CupedSums, control: CupedSums, alpha = 0.05): CupedResult | null {
  assertCupedSums(treatment, 'treatment');
  assertCupedSums(control, 'control');
  assertOpenUnitInterval(alpha, 'alpha');
  if (treatment.n < 2 || control.n < 2) return null;
  const z = normalUpperQuantile(alpha / 2);
  const treated = armMoments(treatment);
  const untreated = armMoments(control);
  const plain = meanDifference(treated.meanY, untreated.meanY, treated.varY / treatment.n + untreated.varY / control.n, z);
  if (plain === null) return null;

  const pooled = armMoments(sumOf(treatment, control));
  if (!(pooled.varX > 0)) return { theta: null, plain, adjusted: null, varianceReduction: null };
  const theta = pooled.covXY / pooled.varX;
  const adjustedVariance = (moments: ArmMoments) => Math.max(0, moments.varY - 2 * theta * moments.covXY + theta * theta * moments.varX);
  const adjusted = meanDifference(
    treated.meanY - theta * (treated.meanX - pooled.meanX),
    untreated.meanY - theta * (untreated.meanX - pooled.meanX),
    adjustedVariance(treated) / treatment.n + adjustedVariance(untreated) / control.n,
    z,
  );
  const varianceReduction = adjusted === null ? null : 1 - adjusted.standardError ** 2 / plain.standardError ** 2;
  return { theta, plain, adjusted, varianceReduction };
}

interface ArmMoments {
  meanY: number;
  meanX: number;
  varY: number;
  varX: number;
  covXY: number;
}

function armMoments(sums: CupedSums): ArmMoments {
  const n = sums.n;
  return {
    meanY: sums.sumY / n,
    meanX: sums.sumX / n,
    varY: Math.max(0, (sums.sumYY - (sums.sumY * sums.sumY) / n) / (n - 1)),
    varX: Math.max(0, (sums.sumXX - (sums.sumX * sums.sumX) / n) / (n - 1)),
    covXY: (sums.sumXY - (sums.sumX * sums.sumY) / n) / (n - 1),
  };
}

function sumOf(a: CupedSums, b: CupedSums): CupedSums {
  return {
    n: a.n + b.n,
    sumY: a.sumY + b.sumY,
    sumX: a.sumX + b.sumX,
    sumYY: a.sumYY + b.sumYY,
    sumXX: a.sumXX + b.sumXX,
    sumXY: a.sumXY + b.sumXY,
  };
}

function meanDifference(treatmentMean: number, controlMean: number, variance: number, z: number): MeanDifference | null {
  if (!(variance > 0)) return null;
  const standardError = Math.sqrt(variance);
  const estimate = treatmentMean - controlMean;
  const statistic = estimate / standardError;
  return {
    estimate,
    standardError,
    lower: estimate - z * standardError,
    upper: estimate + z * standardError,
    z: statistic,
    pValue: normalTwoSidedPValue(statistic),
  };
}

/** Validates CUPED sums; `path` prefixes the field names. */
export function assertCupedSums(sums: CupedSums, path: string): void {
  assertCount(sums.n, `${path}.n`);
  assertFinite(sums.sumY, `${path}.sumY`);
  assertFinite(sums.sumX, `${path}.sumX`);
  assertNonNegative(sums.sumYY, `${path}.sumYY`);
  assertNonNegative(sums.sumXX, `${path}.sumXX`);
  assertFinite(sums.sumXY, `${path}.sumXY`);
  const slack = (value: number) => 1e-9 * Math.max(1, value);
  if (sums.n * sums.sumYY + slack(sums.sumY ** 2) < sums.sumY ** 2) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${path}.sumYY`,
      'is too small for the given n and sumY (n·Σy² must be ≥ (Σy)²)',
    );
  }
  if (sums.n * sums.sumXX + slack(sums.sumX ** 2) < sums.sumX ** 2) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${path}.sumXX`,
      'is too small for the given n and sumX (n·Σx² must be ≥ (Σx)²)',
    );
  }
  if (sums.sumXY ** 2 > sums.sumXX * sums.sumYY + slack(sums.sumXX * sums.sumYY)) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${path}.sumXY`,
      'violates (Σxy)² ≤ Σx²·Σy²: the sums were not taken over the same members',
    );
  }
}
