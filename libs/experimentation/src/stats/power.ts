import { ExperimentationException } from '../experimentation.exception';
import { assertFinite, assertNonNegative, assertOpenUnitInterval, assertRate } from '../validation';
import { normalCdf, normalSf, normalUpperQuantile } from './normal';

// Power of the two-sided two-proportion z-test, with the pooled variance under H0 and the
// unpooled variance under H1: the model of statsmodels' `power_proportions_2indep` and
// `samplesize_proportions_2indep_onetail` (see also Fleiss, Levin & Paik, Statistical Methods for
// Rates and Proportions, 3rd ed., §4.2, without continuity correction).

export interface TwoProportionDesign {
  /** The control (untreated) conversion rate p_C. */
  baselineRate: number;
  treatmentMembers: number;
  controlMembers: number;
  alpha: number;
}

/**
 * Probability that the two-sided z-test at level α rejects when the treated rate is
 * baselineRate + absoluteEffect (both tails counted, as statsmodels does).
 */
export function twoProportionPower(design: TwoProportionDesign, absoluteEffect: number): number {
  assertDesign(design);
  assertFinite(absoluteEffect, 'absoluteEffect');
  return powerOf(design, absoluteEffect);
}

/**
 * Minimum detectable effect: the smallest increase d > 0 of the conversion rate that the test
 * detects with probability `power` at the current (or planned) arm sizes. Found by bisection on
 * (0, 1 − p_C], on which the power increases with d.
 *
 * @returns null when an arm is empty, or even d = 1 − p_C does not reach the power.
 * @example minimumDetectableEffect({ baselineRate: 0.05, treatmentMembers: 9000, controlMembers: 1000, alpha: 0.05 }, 0.8)
 */
export function minimumDetectableEffect(design: TwoProportionDesign, power: number): { absolute: number; relative: number | null } | null {
  assertDesign(design);
  assertOpenUnitInterval(power, 'power');
  if (design.treatmentMembers === 0 || design.controlMembers === 0) return null;
  let low = 0;
  let high = 1 - design.baselineRate;
  if (!(high > 0) || powerOf(design, high) < power) return null;
  while (true) {
    const middle = low + (high - low) / 2;
    if (middle <= low || middle >= high) break; // adjacent doubles: as precise as it gets
    if (powerOf(design, middle) < power) low = middle;
    else high = middle;
  }
  return { absolute: high, relative: design.baselineRate > 0 ? high / design.baselineRate : null };
}

export interface SampleSizeInput {
  baselineRate: number;
  /** The change of the conversion rate to detect (p_T − p_C), positive or negative, not 0. */
  absoluteEffect: number;
  alpha: number;
  power: number;
  /** The configured control share s ∈ (0, 1); control members = s/(1 − s) × treatment members. */
  controlShare: number;
}

export interface SampleSize {
  /** Treatment members needed (unrounded, as statsmodels returns it). */
  treatmentExact: number;
  treatmentMembers: number;
  controlMembers: number;
  totalMembers: number;
}

/**
 * Members needed to detect `absoluteEffect` with the given power: the closed form that ignores the
 * far tail of the two-sided test (statsmodels `samplesize_proportions_2indep_onetail`),
 * n_T = ((z_{α/2}·σ₀ + z_{power}·σ₁) / d)², with σ₀, σ₁ the per-treated-member standard
 * deviations of the difference under H0 (pooled rate) and H1. Counts are rounded up.
 *
 * @throws ExperimentationException when the effect is 0 or takes the treated rate outside [0, 1].
 */
export function twoProportionSampleSize(input: SampleSizeInput): SampleSize {
  assertRate(input.baselineRate, 'baselineRate');
  assertFinite(input.absoluteEffect, 'absoluteEffect');
  assertOpenUnitInterval(input.alpha, 'alpha');
  assertOpenUnitInterval(input.power, 'power');
  assertOpenUnitInterval(input.controlShare, 'controlShare', 'invalid_share');
  const treatedRate = input.baselineRate + input.absoluteEffect;
  if (input.absoluteEffect === 0 || treatedRate < 0 || treatedRate > 1) {
    throw new ExperimentationException(
      'invalid_option',
      'absoluteEffect',
      `must be non-zero and keep the treated rate in [0, 1], got ${input.absoluteEffect}`,
    );
  }
  const ratio = input.controlShare / (1 - input.controlShare);
  const { nullStd, alternativeStd } = standardDeviations(input.baselineRate, input.absoluteEffect, ratio);
  const treatmentExact =
    ((normalUpperQuantile(input.alpha / 2) * nullStd - normalUpperQuantile(input.power) * alternativeStd) / input.absoluteEffect) ** 2;
  const treatmentMembers = Math.ceil(treatmentExact);
  const controlMembers = Math.ceil(treatmentExact * ratio);
  return { treatmentExact, treatmentMembers, controlMembers, totalMembers: treatmentMembers + controlMembers };
}

function powerOf(design: TwoProportionDesign, effect: number): number {
  const ratio = design.controlMembers / design.treatmentMembers;
  const { nullStd, alternativeStd } = standardDeviations(design.baselineRate, effect, ratio);
  const critical = normalUpperQuantile(design.alpha / 2);
  // No variance under H1 (every treated member converts and no control member does): the
  // estimate equals the effect exactly, so the test rejects for sure or never.
  if (alternativeStd === 0) return Math.abs(effect) * Math.sqrt(design.treatmentMembers) >= critical * nullStd ? 1 : 0;
  const shift = (effect * Math.sqrt(design.treatmentMembers)) / alternativeStd;
  const scaledCritical = (critical * nullStd) / alternativeStd;
  return normalSf(scaledCritical - shift) + normalCdf(-scaledCritical - shift);
}

/** σ₀ and σ₁ of p̂_T − p̂_C times √n_T, with n_C = ratio · n_T (statsmodels `_std_2prop_power`). */
function standardDeviations(baselineRate: number, effect: number, ratio: number): { nullStd: number; alternativeStd: number } {
  const treatedRate = baselineRate + effect;
  const pooled = (treatedRate + baselineRate * ratio) / (1 + ratio);
  const nullVariance = pooled * (1 - pooled);
  return {
    nullStd: Math.sqrt(nullVariance + nullVariance / ratio),
    alternativeStd: Math.sqrt(treatedRate * (1 - treatedRate) + (baselineRate * (1 - baselineRate)) / ratio),
  };
}

function assertDesign(design: TwoProportionDesign): void {
  assertRate(design.baselineRate, 'baselineRate');
  // Planned sizes need not be integers (statsmodels' sample sizes are not).
  assertNonNegative(design.treatmentMembers, 'treatmentMembers');
  assertNonNegative(design.controlMembers, 'controlMembers');
  assertOpenUnitInterval(design.alpha, 'alpha');
}
