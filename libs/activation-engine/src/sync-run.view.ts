import type { SyncRunEntity } from '@audiencekit/persistence';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'partial' | 'awaiting_confirmation' | 'cancelled';

/** A sync run as the API returns it. */
export interface SyncRunView {
  id: string;
  activationId: string;
  status: SyncRunStatus;
  dryRun: boolean;
  trigger: string;
  requestedBy: string | null;
  segmentVersion: number;
  segmentRunId: string | null;
  /** considered, heldOutGlobal, heldOutActivation, suppressed, invalid, added / sent, removed, rejected, failed, retried, requests, audienceSize, ... */
  counts: Record<string, number>;
  /** Batch failures and the reason a run stopped, with samples; capped. */
  errors: Record<string, unknown>[];
  /** Dry runs: the itemised plan with samples of each category. */
  plan: Record<string, unknown> | null;
  /**
   * Match reconciliation (list destinations that report back): members delivered in this run
   * (`sent`), what the vendor said it received and found invalid across the run's requests, its
   * audience size after the run, the members the destination holds and the match rate (size over
   * held). Null when the vendor reported nothing.
   */
  reconciliation: SyncRunReconciliation | null;
  /**
   * Requests the vendor accepted in this run but has not confirmed yet (Google processes an ingest
   * later and may drop members): the worker checks them and turns dropped members into rejections
   * of this run. Null when none is pending.
   */
  pendingVendorConfirmation: { requests: number; summary: string } | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface SyncRunReconciliation {
  sent: number;
  vendorReceived: number | null;
  vendorInvalid: number | null;
  audienceSize: number | null;
  heldAtVendor: number | null;
  matchRate: number | null;
  /** The run carries a `match_rate_dropped` warning. */
  matchRateDropped: boolean;
}

/** The reconciliation block of a run, from its counts and match rate. */
export function reconciliationOf(
  counts: Record<string, number>,
  matchRate: number | null,
  errors: Record<string, unknown>[],
): SyncRunReconciliation | null {
  const known = (key: string): number | null => (counts[key] === undefined ? null : counts[key]);
  const reported = ['vendorReceived', 'vendorInvalid', 'audienceSize'].some((key) => counts[key] !== undefined) || matchRate !== null;
  if (!reported) return null;
  const received = known('vendorReceived');
  return {
    sent: (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['replaced'] ?? 0) + (counts['sent'] ?? 0),
    vendorReceived: received,
    // A vendor that reports what it received and no invalid entries found none.
    vendorInvalid: known('vendorInvalid') ?? (received !== null ? 0 : null),
    audienceSize: known('audienceSize'),
    heldAtVendor: known('heldAtVendor'),
    matchRate,
    matchRateDropped: errors.some((entry) => entry['code'] === 'match_rate_dropped'),
  };
}

export function toSyncRunView(run: SyncRunEntity): SyncRunView {
  const counts = Object.fromEntries(Object.entries(run.counts ?? {}).map(([key, value]) => [key, Number(value)]));
  return {
    id: run.id,
    activationId: run.activationId,
    status: run.status as SyncRunStatus,
    dryRun: run.dryRun,
    trigger: run.trigger,
    requestedBy: run.requestedBy,
    segmentVersion: run.segmentVersion,
    segmentRunId: run.segmentRunId,
    counts,
    errors: run.errors ?? [],
    plan: run.plan,
    reconciliation: reconciliationOf(
      counts,
      run.matchRate === null || run.matchRate === undefined ? null : Number(run.matchRate),
      run.errors ?? [],
    ),
    pendingVendorConfirmation: pendingConfirmationOf(counts),
    queuedAt: new Date(run.queuedAt).toISOString(),
    // started_at defaults to the insert time; it is only meaningful once the run has left the queue.
    startedAt: run.status === 'queued' ? null : new Date(run.startedAt).toISOString(),
    finishedAt: run.finishedAt ? new Date(run.finishedAt).toISOString() : null,
    durationMs: run.durationMs,
  };
}

/** `counts.pendingVendorRequests` (kept by the engine as requests are stored and settled) as the view's block. */
export function pendingConfirmationOf(counts: Record<string, number>): SyncRunView['pendingVendorConfirmation'] {
  const requests = counts['pendingVendorRequests'] ?? 0;
  if (!(requests > 0)) return null;
  return { requests, summary: `pending vendor confirmation: ${requests} ${requests === 1 ? 'request' : 'requests'}` };
}
