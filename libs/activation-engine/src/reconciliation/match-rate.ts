/**
 * Match reconciliation (issue #22), the pure part: what the vendor matched of what the destination
 * holds, and whether that fell against the activation's previous runs.
 */

/**
 * The vendor's audience size over the members the destination holds after the run (rounded to 4
 * places); undefined when nothing is held or the size is unknown. Can exceed 1: vendors round
 * (Meta reports an approximate count) and may keep members matched by earlier uploads.
 * @example matchRate(640, 1000) // 0.64
 */
export function matchRate(audienceSize: number | undefined, heldAtVendor: number): number | undefined {
  if (audienceSize === undefined || !Number.isFinite(audienceSize) || !(heldAtVendor > 0)) return undefined;
  return Math.round((audienceSize / heldAtVendor) * 10_000) / 10_000;
}

export interface MatchRateDrop {
  /** Mean match rate of the previous runs compared with. */
  baseline: number;
  /** baseline − current, absolute. */
  drop: number;
}

/**
 * A drop of more than `threshold` (absolute: 0.1 = 10 points) below the mean of `previous` (the
 * activation's last runs with a match rate, newest first); undefined without previous runs or
 * when the rate held.
 * @example matchRateDrop(0.5, [0.7, 0.68], 0.1) // { baseline: 0.69, drop: 0.19 }
 */
export function matchRateDrop(current: number, previous: readonly number[], threshold: number): MatchRateDrop | undefined {
  const usable = previous.filter((value) => Number.isFinite(value));
  if (usable.length === 0) return undefined;
  const baseline = Math.round((usable.reduce((sum, value) => sum + value, 0) / usable.length) * 10_000) / 10_000;
  const drop = Math.round((baseline - current) * 10_000) / 10_000;
  return drop > threshold ? { baseline, drop } : undefined;
}
