import { assignTiers, type ScoreTier, type TierThresholds } from '../propensity/tiers';
import type { ClvDefinition } from './clv-definition.schema';
import { clvTiers, fitClvModel, predictClv, type ClvModel, type ClvPrediction } from './clv-model';
import { summarizeOrders, type CustomerSummary } from './customer-summary';

/** One row of `compileClvOrdersSql`, as the database returns it (`amount` is an exact numeric, as text). */
export interface ClvOrderRow {
  profile_id: string;
  order_id: string;
  ordered_at: Date | string;
  amount: string | number;
}

/** What a `clv` segment version stores in `segment_versions.model`: enough to score at refresh without a refit. */
export interface StoredClvModel {
  kind: 'clv';
  fittedAt: string;
  horizonDays: number;
  /** Null: no discounting. */
  monthlyDiscountRate: number | null;
  /** Customers (profiles with at least one order) the model was fitted on and the thresholds cut on. */
  profiles: number;
  model: ClvModel;
  /** On the predicted value over `horizonDays` (discounted when a rate is set). */
  thresholds: TierThresholds;
  tierCounts: Record<ScoreTier, number>;
  notes: string[];
}

/** A profile's prediction under a stored CLV model, with its tier. */
export interface ClvScore extends ClvPrediction {
  /** Same as `customerId`: the profile id. */
  profileId: string;
  tier: ScoreTier;
}

/**
 * Customer summaries of order rows, one per profile (sorted by profile id), as of `now`.
 * @throws {ClvException} `invalid_input` (see summarizeOrders), `too_few_customers` for no rows.
 */
export function clvSummariesOf(rows: readonly ClvOrderRow[], now: Date): CustomerSummary[] {
  return summarizeOrders(
    rows.map((row) => ({
      customerId: row.profile_id,
      orderId: row.order_id,
      time: new Date(row.ordered_at).getTime(),
      amount: Number(row.amount),
    })),
    { calibrationEnd: now.getTime() },
  );
}

/**
 * Fits the model of a `clv` definition on the order rows read as of `now` and cuts the tier
 * thresholds on those customers' predicted value over the horizon.
 * @throws {ClvException} from summarizeOrders / fitClvModel / predictClv.
 * @throws {PropensityException} from the tier cut (e.g. shares that do not fit).
 * @example fitClvSegment(definition, rows, new Date()).model.bgNbd.r
 */
export function fitClvSegment(definition: ClvDefinition, rows: readonly ClvOrderRow[], now: Date): StoredClvModel {
  const summaries = clvSummariesOf(rows, now);
  const model = fitClvModel(summaries);
  const predictions = predictClv(model, summaries, {
    horizonDays: definition.horizonDays,
    monthlyDiscountRate: definition.monthlyDiscountRate,
  });
  const { thresholds, counts } = clvTiers(predictions, definition.tierShares);
  return {
    kind: 'clv',
    fittedAt: now.toISOString(),
    horizonDays: definition.horizonDays,
    monthlyDiscountRate: definition.monthlyDiscountRate ?? null,
    profiles: summaries.length,
    model,
    thresholds,
    tierCounts: counts,
    notes: [
      `${summaries.length} customers with an order up to the fit time, ${model.fit.repeatCustomers} with repeat orders (Gamma-Gamma)`,
      'profiles without an order are not scored and are never members',
    ],
  };
}

/**
 * Scores every profile of the order rows (read as of `now`) with the stored model, horizon, rate and
 * thresholds. No rows: no scores (a profile without an order is not scored).
 * @throws {ClvException} `invalid_input` from summarizeOrders.
 */
export function scoreClvSegment(stored: StoredClvModel, rows: readonly ClvOrderRow[], now: Date): ClvScore[] {
  if (rows.length === 0) return [];
  const summaries = clvSummariesOf(rows, now);
  const predictions = predictClv(stored.model, summaries, {
    horizonDays: stored.horizonDays,
    monthlyDiscountRate: stored.monthlyDiscountRate ?? undefined,
  });
  const { tiers } = assignTiers(
    predictions.map((prediction) => prediction.clv),
    stored.thresholds,
  );
  return predictions.map((prediction, index) => ({ ...prediction, profileId: prediction.customerId, tier: tiers[index] }));
}
