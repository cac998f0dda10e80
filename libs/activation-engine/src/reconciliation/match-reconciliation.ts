import type { DataSource } from 'typeorm';
import * as runs from '../data/sync-run.repository';
import type { SyncSetup } from '../sync-setup';
import { heldAtVendor, notifyMatchRateDrop, previousMatchRates, recordMatchRate } from './match.repository';
import { matchRate, MatchRateDrop, matchRateDrop } from './match-rate';

/** Previous runs of the activation whose match rates make the baseline of the drop check. */
export const MATCH_RATE_BASELINE_RUNS = 5;

/**
 * After the vendor's audience size is read (list model): the match rate over the members the
 * destination holds, stored on the run; a drop beyond `threshold` below the activation's previous
 * runs becomes a warning entry (`match_rate_dropped`) and a notification, in one transaction.
 * Compared per activation: each activation is its own vendor audience, and audiences of one
 * destination match at different rates by nature.
 */
export async function reconcileMatch(
  dataSource: DataSource,
  setup: SyncSetup,
  audienceSize: number,
  threshold: number,
): Promise<{ matchRate?: number; drop?: MatchRateDrop }> {
  if (setup.addAction !== 'add') return {};
  const manager = dataSource.manager;
  const held = await heldAtVendor(manager, setup.activation.id);
  const rate = matchRate(audienceSize, held);
  if (rate === undefined) return {};
  const previous = await previousMatchRates(manager, setup.activation.id, setup.run.id, MATCH_RATE_BASELINE_RUNS);
  const drop = matchRateDrop(rate, previous, threshold);
  await dataSource.transaction(async (tx) => {
    await recordMatchRate(tx, setup.run.id, rate, held);
    if (!drop) return;
    const message =
      `match rate dropped to ${percent(rate)} (${audienceSize} matched of ${held} held) from ${percent(drop.baseline)} ` +
      `over the previous ${previous.length} run(s): more than the ${percent(threshold)} threshold`;
    await runs.appendErrors(tx, setup.run.id, [
      { kind: 'warning', code: 'match_rate_dropped', message, matchRate: rate, baseline: drop.baseline, at: new Date().toISOString() },
    ]);
    await notifyMatchRateDrop(tx, setup.run.id, { matchRate: rate, baseline: drop.baseline, drop: drop.drop, threshold });
  });
  return { matchRate: rate, ...(drop ? { drop } : {}) };
}

const percent = (value: number): string => `${Math.round(value * 1000) / 10}%`;
