import { updateSegmentSchema } from '@audiencekit/segments-service';
import { CliUsageException } from '../database';
import { EXIT, Print, printTable, resolveSegment } from './ops-commands';
import type { OpsServices } from './ops-context';

/** `segments changes --limit`: the API's bounds. */
export const CHANGES_LIMIT = { min: 1, max: 500, default: 50 } as const;

/**
 * Sets a segment's cadence (`manual`, `realtime` or a cron expression, UTC) through the same
 * service as `PATCH /segments/:id`, so a definition that cannot be real time is refused with the
 * part and the reason, as through the API.
 */
export async function segmentsSetCadence(ops: OpsServices, print: Print, idOrKey: string, cadence: string): Promise<number> {
  const parsed = updateSegmentSchema.safeParse({ refreshCadence: cadence });
  if (!parsed.success) throw new CliUsageException(`--cadence ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  const segment = await resolveSegment(ops, idOrKey);
  const updated = await ops.segments.update(segment.id, parsed.data, null);
  print(`segment ${updated.key}: cadence ${updated.refreshCadence}, version ${updated.version}`);
  return EXIT.ok;
}

/** Prints a segment's latest entries and exits, newest first (`GET /segments/:id/changes`), and its size. */
export async function segmentsChanges(ops: OpsServices, print: Print, idOrKey: string, limit: number): Promise<number> {
  const segment = await resolveSegment(ops, idOrKey);
  const feed = await ops.membership.changes(segment.id, { limit });
  const rows = feed.items.map((item) => [
    String(item.id),
    item.changedAt.toISOString(),
    item.change,
    item.cause,
    item.profileId,
    `v${item.version}`,
    item.runId ?? '-',
  ]);
  printTable(print, ['ID', 'CHANGED AT', 'CHANGE', 'CAUSE', 'PROFILE', 'VERSION', 'RUN'], rows);
  print(
    `segment ${segment.key} (cadence ${segment.refreshCadence}): ${feed.size} member(s) now; ${feed.items.length} latest change(s) shown`,
  );
  return EXIT.ok;
}

/**
 * Prints the drift of a propensity (or churn) segment's current model (`GET /segments/:id/drift`,
 * same service): PSI per feature and for the score with its flag, the AUC since the fit against the
 * floor (or why there is none yet), and the flags. Exit 0 whether flagged or not.
 */
export async function segmentsDrift(ops: OpsServices, print: Print, idOrKey: string): Promise<number> {
  const segment = await resolveSegment(ops, idOrKey);
  const drift = await ops.segments.drift(segment.id);
  print(
    `segment ${segment.key} v${drift.version}: fitted ${drift.fittedAt} (features as of ${drift.cutoff}), measured ${drift.measuredAt}`,
  );
  if (drift.psi.available) {
    const flag = (flagged: boolean) => (flagged ? 'DRIFTED' : 'stable');
    const rows = drift.psi.features.map((feature) => [feature.feature, feature.kind, feature.psi.toFixed(4), flag(feature.flagged)]);
    rows.push(['(score)', 'numeric', drift.psi.score.psi.toFixed(4), flag(drift.psi.score.flagged)]);
    printTable(print, ['FEATURE', 'KIND', 'PSI', `FLAG (PSI > ${drift.psiThreshold})`], rows);
    print(`${drift.psi.rows} profile(s) now compared with the training rows`);
  } else print(`PSI not available: ${drift.psi.reason}`);
  if (drift.auc.available)
    print(
      `AUC since the fit ${drift.auc.auc.toFixed(4)} on ${drift.auc.profiles} profile(s), ${drift.auc.positives} positive (floor ${drift.aucFloor})${drift.auc.flagged ? ': BELOW THE FLOOR' : ''}`,
    );
  else print(`AUC since the fit not available: ${drift.auc.reason}`);
  print(drift.flagged ? `drift flagged: ${drift.flags.join('; ')}` : 'no drift flagged');
  return EXIT.ok;
}
