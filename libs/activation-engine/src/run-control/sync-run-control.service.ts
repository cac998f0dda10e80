import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ActivationException } from '../activation.exception';
import { rejectionsPage, requestSyncCancel } from '../data/run-control.repository';
import { SyncRequestsService } from '../sync-requests.service';
import type { SyncRunView } from '../sync-run.view';
import { SyncService } from '../sync.service';

export interface RejectionView {
  profileId: string;
  /** `rejected` (the vendor said no) or `failed` (out of retries, or its batch failed). */
  kind: string;
  reason: string;
  code: string | null;
  at: string;
}

/** Statuses a retry starts again from. */
const RETRYABLE = new Set(['failed', 'partial', 'cancelled']);

/**
 * Run control of syncs: cancel (a queued or held run at once; a running one stops before its next
 * batch, the batches already called being recorded as usual), retry (a new run through the engine's
 * door, so the mass-send guard decides it again), and the rejected records of a run.
 */
@Injectable()
export class SyncRunControlService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sync: SyncService,
    private readonly requests: SyncRequestsService,
  ) {}

  /** @throws ActivationException `sync_run_not_found`, `sync_run_not_cancellable` (finished, or a dry run). */
  async cancel(runId: string): Promise<SyncRunView> {
    const run = await this.sync.getRun(runId);
    if ((await requestSyncCancel(this.dataSource.manager, run.id)) === null) {
      const now = await this.sync.getRun(runId);
      const what = now.dryRun ? 'a dry run' : now.status;
      throw new ActivationException(
        'sync_run_not_cancellable',
        `sync run ${runId} is ${what}; only queued, held or running syncs can be cancelled`,
        [{ path: 'id', message: `run is ${what}` }],
      );
    }
    return this.sync.getRun(runId);
  }

  /**
   * A new run of the same activation (a dry run again for a dry run), trigger `retry`.
   * @throws ActivationException `sync_run_not_found`, `sync_run_not_retryable`, and those of a request (`confirmation_required`, …).
   */
  async retry(runId: string, requestedBy: string | null): Promise<SyncRunView> {
    const run = await this.sync.getRun(runId);
    if (!RETRYABLE.has(run.status))
      throw new ActivationException(
        'sync_run_not_retryable',
        `sync run ${runId} is ${run.status}; only failed, partial or cancelled runs are retried`,
        [{ path: 'id', message: `run is ${run.status}` }],
      );
    if (run.dryRun) return this.requests.dryRun(run.activationId, { requestedBy });
    return this.requests.requestSync(run.activationId, { requestedBy, trigger: 'retry', fullResync: run.plan?.['fullResync'] === true });
  }

  /** @throws ActivationException `sync_run_not_found`. */
  async rejections(
    runId: string,
    page: { limit: number; offset: number; kind?: 'rejected' | 'failed' },
  ): Promise<{ items: RejectionView[]; total: number; limit: number; offset: number }> {
    const run = await this.sync.getRun(runId);
    const { rows, total } = await rejectionsPage(this.dataSource.manager, run.id, page);
    const items = rows.map((row) => ({
      profileId: row.profile_id,
      kind: row.kind,
      reason: row.reason,
      code: row.code,
      at: new Date(row.created_at).toISOString(),
    }));
    return { items, total, limit: page.limit, offset: page.offset };
  }
}
