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
