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
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export function toSyncRunView(run: SyncRunEntity): SyncRunView {
  return {
    id: run.id,
    activationId: run.activationId,
    status: run.status as SyncRunStatus,
    dryRun: run.dryRun,
    trigger: run.trigger,
    requestedBy: run.requestedBy,
    segmentVersion: run.segmentVersion,
    segmentRunId: run.segmentRunId,
    counts: Object.fromEntries(Object.entries(run.counts ?? {}).map(([key, value]) => [key, Number(value)])),
    errors: run.errors ?? [],
    plan: run.plan,
    queuedAt: new Date(run.queuedAt).toISOString(),
    // started_at defaults to the insert time; it is only meaningful once the run has left the queue.
    startedAt: run.status === 'queued' ? null : new Date(run.startedAt).toISOString(),
    finishedAt: run.finishedAt ? new Date(run.finishedAt).toISOString() : null,
    durationMs: run.durationMs,
  };
}
