import { ExperimentationException } from '../experimentation.exception';
import { assertCount, assertOpenUnitInterval } from '../validation';
import { normalTwoSidedPValue, normalUpperQuantile } from './normal';
import type { ConversionCounts, IntervalEstimate } from './types';

/**
 * Wilson score interval for one proportion (E. B. Wilson, JASA 22 (1927) 209–212), the formula of
 * statsmodels' `proportion_confint(method='wilson')`:
 * centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
 *
 * @returns null when `trials` is 0 (no proportion to estimate).
 * @throws ExperimentationException for negative or fractional counts, successes > trials, alpha ∉ (0, 1).
 * @example wilsonInterval(12, 100) // { estimate: 0.12, lower: 0.0699…, upper: 0.1977… }
 */
export function wilsonInterval(successes: number, trials: number, alpha = 0.05): { estimate: number; lower: number; upper: number } | null {
  assertCounts({ conversions: successes, members: trials }, '');
  assertOpenUnitInterval(alpha, 'alpha');
  if (trials === 0) return null;
  const z = normalUpperQuantile(alpha / 2);
  const zSquared = z * z;
  const rate = successes / trials;
  const denominator = 1 + zSquared / trials;
  const centre = (rate + zSquared / (2 * trials)) / denominator;
  const halfWidth = (z * Math.sqrt((rate * (1 - rate)) / trials + zSquared / (4 * trials * trials))) / denominator;
  return { estimate: rate, lower: centre - halfWidth, upper: centre + halfWidth };
}

/**
 * Absolute lift p̂_T − p̂_C with the unpooled Wald interval
 * ±z·√(p̂_T(1−p̂_T)/n_T + p̂_C(1−p̂_C)/n_C) (statsmodels `confint_proportions_2indep(method='wald')`).
 * When both rates are 0 (or both 1) the standard error is 0 and the interval collapses to a point.
 *
 * @returns null when either arm is empty.
 */
export function proportionDifference(treatment: ConversionCounts, control: ConversionCounts, alpha = 0.05): IntervalEstimate | null {
  assertCounts(treatment, 'treatment');
  assertCounts(control, 'control');
  assertOpenUnitInterval(alpha, 'alpha');
  if (treatment.members === 0 || control.members === 0) return null;
  const treatedRate = treatment.conversions / treatment.members;
  const controlRate = control.conversions / control.members;
  const estimate = treatedRate - controlRate;
  const standardError = Math.sqrt(
    (treatedRate * (1 - treatedRate)) / treatment.members + (controlRate * (1 - controlRate)) / control.members,
  );
  const halfWidth = normalUpperQuantile(alpha / 2) * standardError;
  return { estimate, lower: estimate - halfWidth, upper: estimate + halfWidth, standardError };
}

/**
 * Absolute lift p̂_T − p̂_C with Newcombe's hybrid score interval (R. G. Newcombe, Statistics in
 * Medicine 17 (1998) 873–890, method 10; statsmodels `confint_proportions_2indep(method='newcomb')`),
 * built from the Wilson intervals (l, u) of the two rates:
 * lower = d − √((p̂_T − l_T)² + (u_C − p̂_C)²), upper = d + √((u_T − p̂_T)² + (p̂_C − l_C)²).
 * Unlike the Wald interval it stays honest at small counts and at 0% or 100%: a zero-conversion
 * control no longer gives a zero-variance arm, so the interval does not exclude 0 while the z-test
 * says the difference is not significant (issue #16: 45/200 vs 0/10, p = 0.09).
 *
 * `standardError` is still the unpooled √(p̂_T(1−p̂_T)/n_T + p̂_C(1−p̂_C)/n_C) of the difference
 * (what the always-valid confidence sequence is built on); the interval is not estimate ± z·SE.
 *
 * @returns null when either arm is empty.
 * @throws ExperimentationException for invalid counts (field named) or alpha ∉ (0, 1).
 * @example newcombeDifference({ members: 200, conversions: 45 }, { members: 10, conversions: 0 })
 *   // { estimate: 0.225, lower: -0.0574…, upper: 0.2877…, standardError: 0.0295… }
 */
export function newcombeDifference(treatment: ConversionCounts, control: ConversionCounts, alpha = 0.05): IntervalEstimate | null {
  const wald = proportionDifference(treatment, control, alpha);
  if (wald === null) return null;
  const treated = wilsonInterval(treatment.conversions, treatment.members, alpha);
  const held = wilsonInterval(control.conversions, control.members, alpha);
  if (treated === null || held === null) return null;
  const { estimate } = wald;
  const lower = estimate - Math.hypot(treated.estimate - treated.lower, held.upper - held.estimate);
  const upper = estimate + Math.hypot(treated.upper - treated.estimate, held.estimate - held.lower);
  return { estimate, lower, upper, standardError: wald.standardError };
}

/**
 * Relative lift p̂_T / p̂_C − 1 with a delta-method interval: the gradient of f(p_T, p_C) = p_T/p_C − 1
 * is (1/p_C, −p_T/p_C²), and the arms are independent, so
 * Var ≈ Var(p̂_T)/p̂_C² + p̂_T²·Var(p̂_C)/p̂_C⁴ with Var(p̂) = p̂(1−p̂)/n (Casella & Berger §5.5.4).
 *
 * @returns null when either arm is empty or the control rate is 0 (the ratio is undefined).
 */
export function relativeLift(treatment: ConversionCounts, control: ConversionCounts, alpha = 0.05): IntervalEstimate | null {
  assertCounts(treatment, 'treatment');
  assertCounts(control, 'control');
  assertOpenUnitInterval(alpha, 'alpha');
  if (treatment.members === 0 || control.members === 0 || control.conversions === 0) return null;
  const treatedRate = treatment.conversions / treatment.members;
  const controlRate = control.conversions / control.members;
  const treatedVariance = (treatedRate * (1 - treatedRate)) / treatment.members;
  const controlVariance = (controlRate * (1 - controlRate)) / control.members;
  const estimate = treatedRate / controlRate - 1;
  const standardError = Math.sqrt(treatedVariance / controlRate ** 2 + (treatedRate ** 2 * controlVariance) / controlRate ** 4);
  const halfWidth = normalUpperQuantile(alpha / 2) * standardError;
  return { estimate, lower: estimate - halfWidth, upper: estimate + halfWidth, standardError };
}

/**
 * Two-sided two-proportion z-test with the pooled variance under H0: p_T = p_C
 * (statsmodels `proportions_ztest`): z = (p̂_T − p̂_C) / √(p̄(1−p̄)(1/n_T + 1/n_C)).
 *
 * @returns null when either arm is empty or nobody (or everybody) converted: the statistic is 0/0.
 */
export function twoProportionZTest(treatment: ConversionCounts, control: ConversionCounts): { z: number; pValue: number } | null {
  assertCounts(treatment, 'treatment');
  assertCounts(control, 'control');
  if (treatment.members === 0 || control.members === 0) return null;
  const pooled = (treatment.conversions + control.conversions) / (treatment.members + control.members);
  if (pooled === 0 || pooled === 1) return null;
  const difference = treatment.conversions / treatment.members - control.conversions / control.members;
  const z = difference / Math.sqrt(pooled * (1 - pooled) * (1 / treatment.members + 1 / control.members));
  return { z, pValue: normalTwoSidedPValue(z) };
}

/** Validates one arm's counts; `path` prefixes the field names (`treatment.conversions`). */
export function assertCounts(counts: ConversionCounts, path: string): void {
  const prefix = path ? `${path}.` : '';
  assertCount(counts.members, `${prefix}members`);
  assertCount(counts.conversions, `${prefix}conversions`);
  if (counts.conversions > counts.members) {
    throw new ExperimentationException(
      'inconsistent_input',
      `${prefix}conversions`,
      `cannot exceed members (${counts.conversions} > ${counts.members})`,
    );
  }
}
