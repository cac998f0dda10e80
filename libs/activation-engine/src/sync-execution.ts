import type { PendingVendorRequest, VendorCounts } from '@audiencekit/connector-sdk';
import type { EligibleMember } from '@audiencekit/connector-sdk';
import type { Counts, PageRange } from './data/sync-run.repository';
import type { DestinationGate } from './delivery/destination-gates';
import type { DiffPhase } from './pipeline/candidates.repository';
import type { BatchAction, SyncSetup } from './sync-setup';
import type { SyncException } from './sync.exception';

/** How one job attempt of a run ended (the queue worker logs it; `skipped`: nothing to do). */
export interface SyncOutcome {
  status: 'succeeded' | 'partial' | 'failed' | 'skipped' | 'cancelled';
  counts?: Counts;
  reason?: string;
}

/** Statuses after which a run is never executed again. */
export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'partial', 'cancelled']);

/** Where a run is: phase, keyset cursor, and the page being delivered (its stage counts already tallied). */
export interface Progress {
  phase: DiffPhase | 'done';
  cursor: string | null;
  page: { from: string | null; to: string; counts: Counts } | null;
}

/** One plugin call's worth of members, under one idempotency key. */
export interface Batch {
  seq: number;
  key: string;
  action: BatchAction;
  members: EligibleMember[];
  /** Its sync_batches row exists (written before the first call; replayed batches have one). */
  recorded: boolean;
  /** Replace batches: the last one of the replace (its idempotency key ends in `:last`, so a replay knows). */
  last?: boolean;
  /** Replace batches: the estimated total of the whole replace. */
  total?: number;
  /** What the vendor reported back about the request (`ctx.reportVendorCounts`), for match reconciliation. */
  vendorCounts?: VendorCounts;
  /** Requests the vendor accepted but had not processed when the call answered (`ctx.reportPendingRequest`). */
  pendingRequests?: PendingVendorRequest[];
}

/** What one execution of a run (one job attempt) carries: its setup, its destination's gate, progress and outcome so far. */
export interface Execution {
  setup: SyncSetup;
  gate: DestinationGate;
  progress: Progress;
  nextSeq: number;
  /** Set by the first fatal error: queued batches then never call the plugin. */
  aborted?: SyncException;
  /** Members sent to the plugin by this execution, and the count at which statistics are refreshed next. */
  written: number;
  analyzeAt: number;
  /** Full resync: the segment's size, the vendor's estimate of the replace's total. */
  replaceTotal?: number;
  /**
   * Key ranges of the pages this execution read with no member to deliver (contiguous ones merged):
   * their held-out exposures are taken back if the run ends failed (issue #16).
   */
  heldOnlyPages: PageRange[];
}
