import { assignTiers, quantileThresholds, type ScoreTier, type TierThresholds } from '../propensity/tiers';
import { expectedTransactions, fitBgNbd, probabilityAlive, type BgNbdFit, type BgNbdParameters } from './bg-nbd';
import { ClvException } from './clv.exception';
import { type CustomerSummary } from './customer-summary';
import { expectedAverageSpend, fitGammaGamma, type GammaGammaFit, type GammaGammaParameters } from './gamma-gamma';
import { type MinimizeOptions } from './minimize';

/** Length of a discounting period: the monthly rate is applied per 30 days. */
export const DISCOUNT_PERIOD_DAYS = 30;

/** What a segment version stores for a lifetime-value model: JSON-serialisable, scoring needs no refit. */
export interface ClvModel {
  kind: 'bgnbd-gamma-gamma';
  version: 1;
  timeUnit: 'day';
  bgNbd: BgNbdParameters;
  gammaGamma: GammaGammaParameters;
  /** Fit diagnostics (for the model page). */
  fit: {
    customers: number;
    repeatCustomers: number;
    bgNbdLogLikelihood: number;
    gammaGammaLogLikelihood: number;
  };
}

export interface ClvPredictionOptions {
  /** Days ahead to predict over. */
  horizonDays: number;
  /**
   * Discount rate per 30-day period (e.g. 0.01). Default 0: no discounting. Otherwise value from
   * the transactions expected in period k (days 30(k−1)..30k, the last one possibly shorter) is
   * divided by (1 + rate)^k, as in lifetimes' customer_lifetime_value.
   */
  monthlyDiscountRate?: number;
}

export interface ClvPrediction {
  customerId: string;
  /** E[X(horizon) | x, t_x, T]. */
  expectedTransactions: number;
  probabilityAlive: number;
  /** E[M | x, m_x]: spend per future transaction. */
  expectedAverageSpend: number;
  /** Predicted value over the horizon (discounted when a rate is given). */
  clv: number;
}

/**
 * Fits both models on the same customers.
 * @throws {ClvException} see fitBgNbd and fitGammaGamma.
 * @example const model = fitClvModel(summarizeOrders(lines));
 */
export function fitClvModel(summaries: readonly CustomerSummary[], options: MinimizeOptions = {}): ClvModel {
  const bgNbd: BgNbdFit = fitBgNbd(summaries, options);
  const gammaGamma: GammaGammaFit = fitGammaGamma(summaries, options);
  return {
    kind: 'bgnbd-gamma-gamma',
    version: 1,
    timeUnit: 'day',
    bgNbd: bgNbd.parameters,
    gammaGamma: gammaGamma.parameters,
    fit: {
      customers: bgNbd.customers,
      repeatCustomers: gammaGamma.customers,
      bgNbdLogLikelihood: bgNbd.logLikelihood,
      gammaGammaLogLikelihood: gammaGamma.logLikelihood,
    },
  };
}

/**
 * Per-customer predictions over a horizon: transactions, P(alive), spend per transaction and their
 * product, the value (CLV).
 * @throws {ClvException} `invalid_option` for a negative or non-finite horizon or discount rate.
 * @example predictClv(model, summaries, { horizonDays: 90 })[0].clv
 */
export function predictClv(model: ClvModel, summaries: readonly CustomerSummary[], options: ClvPredictionOptions): ClvPrediction[] {
  const { horizonDays } = options;
  const rate = options.monthlyDiscountRate ?? 0;
  if (!(horizonDays >= 0) || !Number.isFinite(horizonDays))
    throw new ClvException('invalid_option', `must be a finite number of days ≥ 0, got ${horizonDays}`, 'horizonDays');
  if (!(rate >= 0) || !Number.isFinite(rate))
    throw new ClvException('invalid_option', `must be a finite rate ≥ 0, got ${rate}`, 'monthlyDiscountRate');
  return summaries.map((summary) => {
    const transactions = expectedTransactions(model.bgNbd, summary, horizonDays);
    const spend = expectedAverageSpend(model.gammaGamma, summary);
    return {
      customerId: summary.customerId,
      expectedTransactions: transactions,
      probabilityAlive: probabilityAlive(model.bgNbd, summary),
      expectedAverageSpend: spend,
      clv: rate === 0 ? transactions * spend : discountedValue(model.bgNbd, summary, horizonDays, rate, spend),
    };
  });
}

function discountedValue(parameters: BgNbdParameters, summary: CustomerSummary, horizonDays: number, rate: number, spend: number): number {
  let value = 0;
  let previous = 0;
  for (let period = 1; (period - 1) * DISCOUNT_PERIOD_DAYS < horizonDays; period++) {
    const cumulative = expectedTransactions(parameters, summary, Math.min(period * DISCOUNT_PERIOD_DAYS, horizonDays));
    value += (spend * (cumulative - previous)) / (1 + rate) ** period;
    previous = cumulative;
  }
  return value;
}

/**
 * Value tiers like propensity tiers: the highest `topShare` of predicted values is `top`, the lowest
 * `bottomShare` is `bottom`. Thresholds are returned to be stored with the segment version.
 * @throws {PropensityException} from quantileThresholds for invalid shares or no customers.
 */
export function clvTiers(
  predictions: readonly ClvPrediction[],
  options: { topShare?: number; bottomShare?: number } = {},
): { thresholds: TierThresholds; tiers: ScoreTier[]; counts: Record<ScoreTier, number> } {
  const values = predictions.map((prediction) => prediction.clv);
  const thresholds = quantileThresholds(values, options);
  return { thresholds, ...assignTiers(values, thresholds) };
}
