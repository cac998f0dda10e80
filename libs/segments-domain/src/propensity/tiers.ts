import { PropensityException } from './propensity.exception';

export type ScoreTier = 'top' | 'middle' | 'bottom';

/** A score ≥ `top` is in the top tier, a score < `bottom` in the bottom tier, anything else in the middle. */
export interface TierThresholds {
  top: number;
  bottom: number;
}

/**
 * Thresholds that put the highest `topShare` of scores in the top tier and the lowest `bottomShare`
 * in the bottom tier. Computed once (e.g. on the scores at publication) and stored with the segment
 * version, so a profile changes tier only when its score does. Equal scores always share a tier, so
 * with ties a tier can hold slightly more or fewer profiles than its share.
 * @throws {PropensityException} `invalid_option` for shares outside (0, 1) or summing above 1, `too_few_rows`, `non_finite`.
 * @example quantileThresholds(scores, { topShare: 0.2, bottomShare: 0.5 })
 */
export function quantileThresholds(scores: ArrayLike<number>, options: { topShare?: number; bottomShare?: number } = {}): TierThresholds {
  const topShare = options.topShare ?? 0.2;
  const bottomShare = options.bottomShare ?? 0.5;
  if (!(topShare > 0 && topShare < 1))
    throw new PropensityException('invalid_option', `must be between 0 and 1, got ${topShare}`, 'topShare');
  if (!(bottomShare > 0 && bottomShare < 1))
    throw new PropensityException('invalid_option', `must be between 0 and 1, got ${bottomShare}`, 'bottomShare');
  if (topShare + bottomShare > 1)
    throw new PropensityException('invalid_option', 'topShare + bottomShare must be at most 1', 'bottomShare');
  if (scores.length === 0) throw new PropensityException('too_few_rows', 'no scores to cut into tiers', 'scores');
  const sorted = Float64Array.from(scores).sort();
  if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[sorted.length - 1])) {
    throw new PropensityException('non_finite', 'scores must be finite numbers', 'scores');
  }
  const n = sorted.length;
  const topCount = Math.max(1, Math.ceil(topShare * n));
  const bottomCount = Math.floor(bottomShare * n);
  return { top: sorted[n - topCount], bottom: bottomCount === 0 ? sorted[0] : sorted[Math.min(n - 1, bottomCount)] };
}

/**
 * Tier of each score for fixed thresholds, with the count per tier.
 * @throws {PropensityException} `invalid_option` when top < bottom, `non_finite` for a non-finite score.
 */
export function assignTiers(
  scores: ArrayLike<number>,
  thresholds: TierThresholds,
): { tiers: ScoreTier[]; counts: Record<ScoreTier, number> } {
  if (!(thresholds.top >= thresholds.bottom)) {
    throw new PropensityException('invalid_option', `top threshold ${thresholds.top} is below bottom ${thresholds.bottom}`, 'thresholds');
  }
  const counts: Record<ScoreTier, number> = { top: 0, middle: 0, bottom: 0 };
  const tiers = Array.from(scores, (score, i): ScoreTier => {
    if (!Number.isFinite(score)) throw new PropensityException('non_finite', `score ${i} is ${score}`, 'scores');
    const tier: ScoreTier = score >= thresholds.top ? 'top' : score < thresholds.bottom ? 'bottom' : 'middle';
    counts[tier]++;
    return tier;
  });
  return { tiers, counts };
}
