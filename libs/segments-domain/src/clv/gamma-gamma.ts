import { validateSummaries } from './bg-nbd';
import { ClvException } from './clv.exception';
import { type CustomerSummary } from './customer-summary';
import { minimizeSmooth, type MinimizeOptions } from './minimize';
import { digamma, logGamma } from './special-functions';

/**
 * Gamma-Gamma spend parameters (Fader, Hardie & Lee 2005, "RFM and CLV"): a transaction's value is
 * Gamma(p, ν), and each customer's ν ~ Gamma(q, v). Mean spend over the population: p v / (q − 1).
 */
export interface GammaGammaParameters {
  p: number;
  q: number;
  v: number;
}

export interface GammaGammaFit {
  parameters: GammaGammaParameters;
  logLikelihood: number;
  gradientNorm: number;
  /** Customers with a repeat purchase: the only ones that enter the fit. */
  customers: number;
}

/**
 * Mean log-likelihood of the Gamma-Gamma model of the mean repeat spend m_x over x transactions,
 * and its gradient with respect to (ln p, ln q, ln v). Per customer with x > 0:
 *   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m_x + px ln x − (px+q) ln(x m_x + v)
 */
export function gammaGammaLogLikelihood(
  repeaters: readonly CustomerSummary[],
  logParameters: ArrayLike<number>,
): { value: number; gradient: Float64Array } {
  const [p, q, v] = Array.from(logParameters, Math.exp);
  const lgQ = logGamma(q);
  const psiQ = digamma(q);
  const logV = Math.log(v);
  let total = 0;
  let dP = 0;
  let dQ = 0;
  let dV = 0;
  for (const { frequency: x, monetary: m } of repeaters) {
    const px = p * x;
    const logTotal = Math.log(x * m + v);
    const psiPXQ = digamma(px + q);
    total += logGamma(px + q) - logGamma(px) - lgQ + q * logV + (px - 1) * Math.log(m) + px * Math.log(x) - (px + q) * logTotal;
    dP += x * (psiPXQ - digamma(px) + Math.log(m) + Math.log(x) - logTotal);
    dQ += psiPXQ - psiQ + logV - logTotal;
    dV += q / v - (px + q) / (x * m + v);
  }
  const n = repeaters.length;
  return { value: total / n, gradient: Float64Array.of((dP * p) / n, (dQ * q) / n, (dV * v) / n) };
}

/**
 * Fits the Gamma-Gamma model by maximum likelihood on the customers with a repeat purchase
 * (log-parameters, start p = q = v = 1).
 * @throws {ClvException} `too_few_customers` for fewer than 2 repeat customers; `not_converged`; `degenerate_fit` when q ≤ 1 (infinite mean spend).
 * @example fitGammaGamma(summaries).parameters // { p: 1.87, q: 3.06, v: 48.1 } on the retail sample
 */
export function fitGammaGamma(summaries: readonly CustomerSummary[], options: MinimizeOptions = {}): GammaGammaFit {
  validateSummaries(summaries);
  const repeaters = summaries.filter((summary) => summary.frequency > 0);
  if (repeaters.length < 2)
    throw new ClvException('too_few_customers', `needs at least 2 customers with a repeat purchase, got ${repeaters.length}`, 'customers');
  const result = minimizeSmooth(
    (point) => {
      const { value, gradient } = gammaGammaLogLikelihood(repeaters, point);
      return { value: -value, gradient: gradient.map((component) => -component) };
    },
    [0, 0, 0],
    options,
  );
  const [p, q, v] = Array.from(result.point, Math.exp);
  if (!result.converged) {
    throw new ClvException(
      'not_converged',
      `the Gamma-Gamma likelihood has no interior maximum here (stopped at p=${p}, q=${q}, v=${v})`,
      'gammaGamma',
    );
  }
  if (!(q > 1)) throw new ClvException('degenerate_fit', `q = ${q} ≤ 1: the mean spend per transaction is infinite`, 'gammaGamma.q');
  return {
    parameters: { p, q, v },
    logLikelihood: -result.value * repeaters.length,
    gradientNorm: result.gradientNorm,
    customers: repeaters.length,
  };
}

/**
 * E[M | x, m_x]: expected spend per future transaction, a weighted mean of the population mean
 * p v / (q − 1) and the customer's own mean m_x with weight p x / (p x + q − 1).
 */
export function expectedAverageSpend(parameters: GammaGammaParameters, summary: CustomerSummary): number {
  const { p, q, v } = parameters;
  const populationMean = (p * v) / (q - 1);
  if (summary.frequency === 0) return populationMean;
  const weight = (p * summary.frequency) / (p * summary.frequency + q - 1);
  return (1 - weight) * populationMean + weight * summary.monetary;
}
