import { ClvException } from './clv.exception';
import { type CustomerSummary } from './customer-summary';
import { minimizeSmooth, type MinimizeOptions } from './minimize';
import { digamma, hyp2f1, logGamma } from './special-functions';

/**
 * BG/NBD parameters (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive
 * a customer buys at a Poisson rate λ ~ Gamma(r, α) (α in days, the time unit); after each purchase
 * they drop out with probability p ~ Beta(a, b).
 */
export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit {
  parameters: BgNbdParameters;
  logLikelihood: number;
  /** max |∂ mean log-likelihood / ∂ log-parameter| at the optimum. */
  gradientNorm: number;
  customers: number;
}

/**
 * Mean log-likelihood of the BG/NBD (FHL 2005, eq. 6) and its gradient with respect to the
 * log-parameters (ln r, ln α, ln a, ln b). Per customer:
 *   ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
 *   + ln[ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x) ]
 */
export function bgNbdLogLikelihood(
  summaries: readonly CustomerSummary[],
  logParameters: ArrayLike<number>,
): { value: number; gradient: Float64Array } {
  const [r, alpha, a, b] = Array.from(logParameters, Math.exp);
  const shared = {
    lgR: logGamma(r),
    lgAB: logGamma(a + b),
    lgB: logGamma(b),
    psiR: digamma(r),
    psiAB: digamma(a + b),
    psiB: digamma(b),
    logAlpha: Math.log(alpha),
  };
  let total = 0;
  let dR = 0;
  let dAlpha = 0;
  let dA = 0;
  let dB = 0;
  for (const { frequency: x, recency: tx, age: T } of summaries) {
    const common = logGamma(r + x) - shared.lgR + r * shared.logAlpha + shared.lgAB + logGamma(b + x) - shared.lgB - logGamma(a + b + x);
    const stillAlive = -(r + x) * Math.log(alpha + T);
    // Dropped out right after the last purchase: only possible with a repeat purchase.
    const droppedOut = x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx) : Number.NEGATIVE_INFINITY;
    const top = Math.max(stillAlive, droppedOut);
    total += common + top + Math.log(Math.exp(stillAlive - top) + Math.exp(droppedOut - top));
    const wDropped = x > 0 ? 1 / (1 + Math.exp(stillAlive - droppedOut)) : 0;
    const wAlive = 1 - wDropped;
    const psiABX = digamma(a + b + x);
    dR += digamma(r + x) - shared.psiR + shared.logAlpha - wAlive * Math.log(alpha + T) - (x > 0 ? wDropped * Math.log(alpha + tx) : 0);
    dAlpha += r / alpha - (wAlive * (r + x)) / (alpha + T) - (x > 0 ? (wDropped * (r + x)) / (alpha + tx) : 0);
    dA += shared.psiAB - psiABX + wDropped / a;
    dB += shared.psiAB + digamma(b + x) - shared.psiB - psiABX - (x > 0 ? wDropped / (b + x - 1) : 0);
  }
  const n = summaries.length;
  return { value: total / n, gradient: Float64Array.of((dR * r) / n, (dAlpha * alpha) / n, (dA * a) / n, (dB * b) / n) };
}

/**
 * Fits the BG/NBD by maximum likelihood on log-parameters (so all four stay positive), starting
 * from r = α = a = b = 1.
 * @throws {ClvException} `too_few_customers` for fewer than 2 customers or no repeat purchase; `invalid_input` for an inconsistent summary; `not_converged` when no interior maximum is found (typically nobody appears to drop out: a → 0, b → ∞).
 * @example fitBgNbd(summaries).parameters // { r: 0.78, alpha: 81.4, a: 0.056, b: 79.4 } on the retail sample
 */
export function fitBgNbd(summaries: readonly CustomerSummary[], options: MinimizeOptions = {}): BgNbdFit {
  validateSummaries(summaries);
  if (summaries.length < 2) throw new ClvException('too_few_customers', `needs at least 2 customers, got ${summaries.length}`, 'customers');
  if (!summaries.some((summary) => summary.frequency > 0)) {
    throw new ClvException('too_few_customers', 'no customer has a repeat purchase: purchase rates cannot be estimated', 'customers');
  }
  const result = minimizeSmooth(
    (point) => {
      const { value, gradient } = bgNbdLogLikelihood(summaries, point);
      return { value: -value, gradient: gradient.map((component) => -component) };
    },
    [0, 0, 0, 0],
    options,
  );
  if (!result.converged) {
    const [r, alpha, a, b] = Array.from(result.point, Math.exp);
    throw new ClvException(
      'not_converged',
      `the BG/NBD likelihood has no interior maximum here (stopped at r=${r}, alpha=${alpha}, a=${a}, b=${b}, gradient ${result.gradientNorm}); ` +
        'often the data show no drop-out (a → 0, b → ∞)',
      'bgnbd',
    );
  }
  const [r, alpha, a, b] = Array.from(result.point, Math.exp);
  return {
    parameters: { r, alpha, a, b },
    logLikelihood: -result.value * summaries.length,
    gradientNorm: result.gradientNorm,
    customers: summaries.length,
  };
}

/**
 * E[X(t) | x, t_x, T]: expected transactions in the next t days (FHL 2005, eq. 10), with the
 * hypergeometric term rewritten by Euler's transformation
 *   ₂F₁(r+x, b+x; a+b+x−1; z) = (1−z)^(a−1−r−x) ₂F₁(a+b−1−r, a−1; a+b+x−1; z),  z = t / (α+T+t),
 * so that E = (a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z)] / (1 + 1{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
 * The transformed series has bounded terms (no overflow for frequent buyers over long horizons).
 * @throws {ClvException} `degenerate_fit` when a = 1 exactly (the formula's removable singularity).
 */
export function expectedTransactions(parameters: BgNbdParameters, summary: CustomerSummary, horizonDays: number): number {
  const { r, alpha, a, b } = parameters;
  const { frequency: x, recency: tx, age: T } = summary;
  if (horizonDays === 0) return 0;
  if (a === 1) throw new ClvException('degenerate_fit', 'a = 1 exactly: expected transactions are undefined in closed form', 'bgnbd.a');
  const z = horizonDays / (alpha + T + horizonDays);
  const hypergeometric = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  const numerator = ((a + b + x - 1) / (a - 1)) * (1 - Math.exp((a - 1) * Math.log1p(-z)) * hypergeometric);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * Math.exp((r + x) * Math.log((alpha + T) / (alpha + tx))) : 0);
  return numerator / denominator;
}

/**
 * P(alive | x, t_x, T) (Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model"): 1 for a
 * customer with no repeat purchase (the model lets drop-out happen only after a purchase).
 */
export function probabilityAlive(parameters: BgNbdParameters, summary: CustomerSummary): number {
  const { r, alpha, a, b } = parameters;
  const { frequency: x, recency: tx, age: T } = summary;
  if (x === 0) return 1;
  const logOddsDead = (r + x) * Math.log((alpha + T) / (alpha + tx)) + Math.log(a / (b + x - 1));
  return 1 / (1 + Math.exp(logOddsDead));
}

/** @throws {ClvException} `invalid_input` naming the customer. */
export function validateSummaries(summaries: readonly CustomerSummary[]): void {
  for (const summary of summaries) {
    const { frequency, recency, age, monetary } = summary;
    const problem =
      !Number.isInteger(frequency) || frequency < 0
        ? `frequency must be a whole number ≥ 0, got ${frequency}`
        : !(recency >= 0) || !Number.isFinite(recency)
          ? `recency must be ≥ 0, got ${recency}`
          : !(age >= recency) || !Number.isFinite(age)
            ? `age (${age}) must be at least the recency (${recency})`
            : frequency === 0 && recency !== 0
              ? `recency must be 0 without a repeat purchase, got ${recency}`
              : !(monetary >= 0) || !Number.isFinite(monetary) || (frequency > 0 && !(monetary > 0))
                ? `monetary must be positive for a customer with repeat purchases, got ${monetary}`
                : undefined;
    if (problem) throw new ClvException('invalid_input', problem, `customer ${summary.customerId}`);
  }
}
