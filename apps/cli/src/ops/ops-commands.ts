import { IsNull } from 'typeorm';
import { SegmentEntity, SegmentRunEntity } from '@audiencekit/persistence';
import { CliUsageException } from '../database';
import type { OpsServices } from './ops-context';
import { isUuid } from '@audiencekit/util';

/** Where the commands write (stdout in the CLI, an array in tests). */
export type Print = (line: string) => void;

export interface WaitOptions {
  wait: boolean;
  /** Between two reads of the run row. */
  pollMs: number;
  /** Give up watching (the run goes on in the worker) after this long; 0: never. */
  timeoutMs?: number;
}

const SEGMENT_FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const SYNC_FINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

/** Exit codes: 0 done, 1 the run failed, 3 a run held for confirmation (mass send, mass removal, suspect refresh), 4 stopped watching. */
export const EXIT = { ok: 0, failed: 1, held: 3, stillRunning: 4 } as const;

export async function segmentsList(
  ops: OpsServices,
  print: Print,
  filter: { owner?: string; status?: string; limit: number; offset: number },
): Promise<number> {
  const page = await ops.segments.list(filter);
  const rows = page.items.map((segment) => [
    segment.key,
    segment.status,
    segment.owner,
    segment.refreshCadence,
    `v${segment.version}`,
    segment.id,
    segment.name,
  ]);
  printTable(print, ['KEY', 'STATUS', 'OWNER', 'CADENCE', 'VERSION', 'ID', 'NAME'], rows);
  print(`${page.items.length} of ${page.total} segment(s)`);
  return EXIT.ok;
}

/** Queues a refresh of a segment (by id or key) and, unless told not to, follows it to the end. */
export async function segmentsRefresh(ops: OpsServices, print: Print, idOrKey: string, options: WaitOptions): Promise<number> {
  const segment = await resolveSegment(ops, idOrKey);
  const run = await ops.refresh.requestRefresh(segment.id, 'manual');
  if (!run) throw new Error(`the refresh of ${segment.key} could not be queued`);
  print(`queued refresh run ${run.id} of segment ${segment.key} (version ${run.version})`);
  if (!options.wait) return EXIT.ok;
  const final = await follow(
    print,
    options,
    () => ops.dataSource.getRepository(SegmentRunEntity).findOneByOrFail({ id: run.id }),
    (row) => row.status,
    SEGMENT_FINAL,
    (row) => row.status,
  );
  if (!final) return EXIT.stillRunning;
  print(describeSegmentRun(final));
  return final.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** Queues a sync of an activation and, unless told not to, follows it to the end with its counts. */
export async function syncActivation(
  ops: OpsServices,
  print: Print,
  activationId: string,
  options: WaitOptions & { dryRun?: boolean },
): Promise<number> {
  const run = await ops.syncs.requestSync(activationId, { trigger: 'manual', requestedBy: null, dryRun: options.dryRun ?? false });
  print(`queued ${run.dryRun ? 'dry run' : 'sync run'} ${run.id} of activation ${activationId}`);
  if (!options.wait) return EXIT.ok;
  const final = await follow(
    print,
    options,
    () => ops.syncs.getRun(run.id),
    (view) => view.status,
    new Set([...SYNC_FINAL, 'awaiting_confirmation']),
    (view) => `${view.status} ${formatCounts(view.counts)}`.trim(),
  );
  if (!final) return EXIT.stillRunning;
  if (final.status === 'awaiting_confirmation') {
    const guard = (final.plan?.['guard'] ?? {}) as { gates?: string[]; reasons?: string[] };
    const gates = (guard.gates ?? ['mass_send']).map((gate) => gate.replace('_', ' '));
    print(`held for confirmation (${gates.join(', ')}): ${(guard.reasons ?? []).join('; ')}`);
    print(`a marketer or admin confirms it with POST /sync-runs/${final.id}/confirm`);
    return EXIT.held;
  }
  print(`sync run ${final.id} ${final.status} in ${final.durationMs ?? '?'} ms: ${formatCounts(final.counts)}`);
  for (const error of final.errors.slice(0, 5))
    print(`  ${String(error['kind'] ?? 'error')}: ${String(error['message'] ?? error['reason'] ?? '')}`);
  return final.status === 'failed' ? EXIT.failed : EXIT.ok;
}

/** Shows a segment refresh run or a sync run (the id says which). */
export async function runsShow(ops: OpsServices, print: Print, runId: string): Promise<number> {
  if (!isUuid(runId)) throw new CliUsageException(`"${runId}" is not a run id (a UUID)`);
  const segmentRun = await ops.dataSource.getRepository(SegmentRunEntity).findOneBy({ id: runId });
  if (segmentRun) {
    const segment = await ops.dataSource.getRepository(SegmentEntity).findOneBy({ id: segmentRun.segmentId });
    print(`segment refresh run ${segmentRun.id} of ${segment?.key ?? segmentRun.segmentId}`);
    print(describeSegmentRun(segmentRun));
    if (segmentRun.error) print(`error: ${segmentRun.error}`);
    return EXIT.ok;
  }
  const view = await ops.syncs.getRun(runId).catch(() => null);
  if (!view) {
    print(`no segment refresh run or sync run ${runId}`);
    return EXIT.failed;
  }
  print(`sync run ${view.id} of activation ${view.activationId}${view.dryRun ? ' (dry run)' : ''}`);
  print(
    `status ${view.status}, trigger ${view.trigger}, segment version ${view.segmentVersion}, queued ${view.queuedAt}, finished ${view.finishedAt ?? '-'}`,
  );
  print(`counts: ${formatCounts(view.counts) || '-'}`);
  for (const error of view.errors.slice(0, 10))
    print(`  ${String(error['kind'] ?? 'error')}: ${String(error['message'] ?? error['reason'] ?? '')}`);
  return EXIT.ok;
}

export async function resolveSegment(ops: OpsServices, idOrKey: string): Promise<SegmentEntity> {
  const repository = ops.dataSource.getRepository(SegmentEntity);
  const segment = isUuid(idOrKey)
    ? await repository.findOneBy({ id: idOrKey, deletedAt: IsNull() })
    : await repository.findOneBy({ key: idOrKey, deletedAt: IsNull() });
  if (!segment) throw new CliUsageException(`no segment with id or key "${idOrKey}"`);
  return segment;
}

/** Re-reads the run until it is final, printing each new state; null when watching timed out. */
async function follow<T>(
  print: Print,
  options: WaitOptions,
  read: () => Promise<T>,
  statusOf: (row: T) => string,
  final: Set<string>,
  describe: (row: T) => string,
): Promise<T | null> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const row = await read();
    const line = describe(row);
    if (line !== last) print(`  ${new Date().toISOString()} ${line}`);
    last = line;
    if (final.has(statusOf(row))) return row;
    if (options.timeoutMs && Date.now() - started > options.timeoutMs) {
      print('stopped watching: the run goes on in the worker (see `runs show`)');
      return null;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

function describeSegmentRun(run: SegmentRunEntity): string {
  return `refresh ${run.status}: size ${run.size ?? '-'}, +${run.adds ?? 0} / -${run.removes ?? 0}, version ${run.version}, ${run.durationMs ?? '?'} ms`;
}

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

export function printTable(print: Print, header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows])
    print(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
}
