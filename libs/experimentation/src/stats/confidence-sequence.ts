import { ExperimentationException } from '../experimentation.exception';
import { assertFinite, assertNonNegative, assertOpenUnitInterval } from '../validation';

export const CONFIDENCE_SEQUENCE_METHOD =
  'normal-mixture (Howard, Ramdas, McAuliffe & Sekhon 2021), two-sided, Gaussian approximation of the estimate';

export interface ConfidenceSequenceInput {
  /** The current estimate (e.g. the difference of conversion rates). */
  estimate: number;
  /** Its current standard error. */
  standardError: number;
  alpha: number;
  /**
   * τ², the variance of the N(0, τ²) mixing distribution over the effect, on the squared scale of
   * the estimate. It must be fixed before the first look (see {@link tunedMixtureVariance}).
   */
  mixtureVariance: number;
}

export interface ConfidenceSequence {
  lower: number;
  upper: number;
  halfWidth: number;
  alpha: number;
  mixtureVariance: number;
  /** ρ = 1/τ², the same tuning in Howard et al.'s notation (intrinsic time V = 1/se²). */
  rho: number;
}

/**
 * Always-valid (peeking-safe) interval for an asymptotically normal estimate: with probability at
 * least 1 − α, the intervals computed at every look, however many and whenever taken, all contain
 * the true effect. Mixing the likelihood ratio of the estimate over an N(0, τ²) alternative gives
 * the martingale √(V/(V+τ²))·exp(τ²·Δ²/(2V(V+τ²))) with V = se²; Ville's inequality bounds its
 * supremum, so the set where it stays below 1/α is a confidence sequence:
 *   estimate ± √((V + V²/τ²) · ln((V + τ²)/(V·α²))).
 * This is the two-sided normal-mixture boundary of Howard et al., "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", Ann. Statist. 49 (2021), √((V_t + ρ)·ln((V_t + ρ)/(ρα²)))
 * on the sum scale, written here in the information time V_t = 1/se² of the estimate with ρ = 1/τ²
 * (the mSPRT of Johari et al., Oper. Res. 70 (2022), is the same boundary read as a test).
 *
 * @throws ExperimentationException for a negative standard error, α ∉ (0, 1) or τ² ≤ 0.
 */
export function normalMixtureConfidenceSequence(input: ConfidenceSequenceInput): ConfidenceSequence {
  assertFinite(input.estimate, 'estimate');
  assertNonNegative(input.standardError, 'standardError');
  assertOpenUnitInterval(input.alpha, 'alpha');
  assertMixtureVariance(input.mixtureVariance);
  const variance = input.standardError ** 2;
  const tau2 = input.mixtureVariance;
  const halfWidth =
    variance === 0 ? 0 : Math.sqrt((variance + (variance * variance) / tau2) * (Math.log1p(tau2 / variance) - 2 * Math.log(input.alpha)));
  return {
    lower: input.estimate - halfWidth,
    upper: input.estimate + halfWidth,
    halfWidth,
    alpha: input.alpha,
    mixtureVariance: tau2,
    rho: 1 / tau2,
  };
}

/**
 * The τ² that makes the confidence sequence narrowest when the standard error reaches
 * `plannedStandardError` (e.g. at the planned audience size). With r = τ²/V the squared half-width
 * is V(1 + 1/r)(ln(1 + r) − 2 ln α), minimised where r = ln(1 + r) − 2 ln α; the fixed-point
 * iteration converges because the right side has slope 1/(1 + r) < 1.
 */
export function tunedMixtureVariance(plannedStandardError: number, alpha: number): number {
  assertNonNegative(plannedStandardError, 'plannedStandardError');
  if (plannedStandardError === 0) throw new ExperimentationException('invalid_option', 'plannedStandardError', 'must be > 0');
  assertOpenUnitInterval(alpha, 'alpha');
  const offset = -2 * Math.log(alpha);
  let ratio = offset;
  for (let iteration = 0; iteration < 200; iteration++) {
    const next = Math.log1p(ratio) + offset;
    if (Math.abs(next - ratio) <= Number.EPSILON * next) {
      ratio = next;
      break;
    }
    ratio = next;
  }
  return ratio * plannedStandardError ** 2;
}

function assertMixtureVariance(value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ExperimentationException('invalid_option', 'mixtureVariance', `must be a finite number > 0, got ${String(value)}`);
  }
}
