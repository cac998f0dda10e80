import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ActivationEntity } from '@audiencekit/persistence';
import { JobQueue } from '@audiencekit/server-core';
import { isUuid } from '@audiencekit/util';
import { ActivationException } from './activation.exception';
import * as runs from './data/sync-run.repository';
import { SyncJob, SYNC_JOB_OPTIONS, syncQueueName } from './sync-queues';
import { SyncRunner } from './sync-runner';
import type { SyncOutcome } from './sync-execution';
import { toSyncRunView, SyncRunView } from './sync-run.view';
import { SYNC_ENGINE_OPTIONS, SyncEngineOptions } from './sync-engine.options';
import { AWAITING_CONFIRMATION, MassSendDecision } from './guard/mass-send-guard';

export interface RequestSyncOptions {
  dryRun?: boolean;
  requestedBy?: string | null;
  /** `manual` (default), `api`, `after_refresh`, `schedule`. */
  trigger?: string;
  /** Scheduled requests: a second request with the same key is a no-op (returns null). */
  triggerKey?: string;
  /** The mass-send guard's decision (send mode), kept in `plan.guard`; a run carrying one is not re-checked. */
  guard?: MassSendDecision & { confirmedBy?: string | null };
  /** Record the run as `awaiting_confirmation` and queue nothing (the guard held it). */
  awaitConfirmation?: boolean;
  /**
   * Full resync (mirror activations whose connector has `replace`, e.g. Meta): the run replaces the
   * vendor's list with every eligible segment member instead of sending a diff. Kept in `plan.fullResync`.
   */
  fullResync?: boolean;
}

export interface RunPage {
  limit?: number;
  offset?: number;
  status?: string;
}

/**
 * Sync runs of activations: record and queue a run, dry run, read, and the job body. Requests from
 * the API come through the engine's door (SyncRequestsService), which decides the mass-send guard.
 */
@Injectable()
export class SyncService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly runner: SyncRunner,
    @Inject(SYNC_ENGINE_OPTIONS) private readonly options: SyncEngineOptions,
  ) {}

  /**
   * Records a queued run and enqueues its job on the destination's queue in the same transaction.
   * @throws ActivationException `activation_not_found` for an unknown or deleted activation or destination.
   */
  async requestSync(activationId: string, options: RequestSyncOptions = {}): Promise<SyncRunView> {
    const run = await this.requestScheduled(activationId, options);
    if (!run) throw new ActivationException('sync_already_requested', `a sync for "${options.triggerKey}" was already requested`);
    return run;
  }

  /** Like `requestSync`, but returns null when `triggerKey` was already requested (another worker's tick). */
  async requestScheduled(activationId: string, options: RequestSyncOptions = {}): Promise<SyncRunView | null> {
    const activation = await this.findLive(activationId);
    const queue = syncQueueName(activation.destinationId);
    await this.queue.ensureQueue(queue);
    return this.dataSource.transaction(async (manager) => {
      const run = await runs.insertRun(manager, activation.id, {
        ...options,
        status: options.awaitConfirmation ? AWAITING_CONFIRMATION : 'queued',
      });
      if (!run) return null;
      if (options.fullResync) {
        await runs.markFullResync(manager, run.id);
        run.plan = { ...(run.plan ?? {}), fullResync: true };
      }
      if (options.awaitConfirmation) return toSyncRunView(run);
      await this.queue.sendInTransaction(manager, queue, { runId: run.id } satisfies SyncJob, SYNC_JOB_OPTIONS);
      return toSyncRunView(run);
    });
  }

  /**
   * Releases a run held by the mass-send guard: records who confirmed it and queues its job.
   * Returns null when the run is not awaiting confirmation (already released, or never held).
   */
  async confirmRun(runId: string, confirmedBy: string | null): Promise<SyncRunView | null> {
    const held = await this.getRun(runId);
    const activation = await this.findLive(held.activationId);
    const queue = syncQueueName(activation.destinationId);
    await this.queue.ensureQueue(queue);
    return this.dataSource.transaction(async (manager) => {
      if (!(await runs.releaseHeldRun(manager, runId, confirmedBy))) return null;
      await this.queue.sendInTransaction(manager, queue, { runId } satisfies SyncJob, SYNC_JOB_OPTIONS);
      const released = await runs.findRun(manager, runId);
      if (!released) throw new ActivationException('sync_run_not_found', `no sync run ${runId}`);
      return toSyncRunView(released);
    });
  }

  /** Computes the itemised plan now (sends nothing) and stores it as a dry run. */
  async dryRun(activationId: string, options: { sampleSize?: number; requestedBy?: string | null } = {}): Promise<SyncRunView> {
    const activation = await this.findLive(activationId);
    const run = await runs.insertRun(this.dataSource.manager, activation.id, {
      dryRun: true,
      requestedBy: options.requestedBy,
      status: 'running',
    });
    if (!run) throw new ActivationException('sync_already_requested', 'the dry run could not be recorded');
    await this.runner.executeDryRun(run, options.sampleSize ?? this.options.sampleSize);
    return this.getRun(run.id);
  }

  /** @throws ActivationException `sync_run_not_found`. */
  async getRun(runId: string): Promise<SyncRunView> {
    const run = isUuid(runId) ? await runs.findRun(this.dataSource.manager, runId) : null;
    if (!run) throw new ActivationException('sync_run_not_found', `no sync run ${runId}`);
    return toSyncRunView(run);
  }

  /** Newest first. @throws ActivationException `activation_not_found`. */
  async listRuns(
    activationId: string,
    page: RunPage = {},
  ): Promise<{ items: SyncRunView[]; total: number; limit: number; offset: number }> {
    if (!isUuid(activationId) || !(await runs.activationExists(this.dataSource.manager, activationId))) {
      throw new ActivationException('activation_not_found', `no activation ${activationId}`);
    }
    const limit = Math.min(Math.max(1, Math.floor(page.limit ?? 20)), 200);
    const offset = Math.max(0, Math.floor(page.offset ?? 0));
    const [items, total] = await runs.listRuns(this.dataSource.manager, activationId, { status: page.status, limit, offset });
    return { items: items.map(toSyncRunView), total, limit, offset };
  }

  /** The job handler body: executes (or resumes) the run. */
  execute(runId: string): Promise<SyncOutcome> {
    return this.runner.execute(runId);
  }

  /** Gives up on a run the queue will not retry any more (e.g. an unexpected error on its last attempt). */
  async failRun(runId: string, reason: string): Promise<void> {
    await runs.failRun(this.dataSource.manager, runId, reason);
    // A failed run exposes nobody (issue #16): when it treated nobody, its held-out exposures go.
    const counts = await runs.countsOf(this.dataSource.manager, runId);
    const treated = (counts['added'] ?? 0) + (counts['refreshed'] ?? 0) + (counts['sent'] ?? 0) + (counts['replaced'] ?? 0);
    const run = treated === 0 ? await runs.findRun(this.dataSource.manager, runId) : null;
    if (run?.status === 'failed') await runs.forgetHeldOutExposures(this.dataSource.manager, run.activationId, runId, 'all');
  }

  private async findLive(activationId: string): Promise<ActivationEntity> {
    const activation = isUuid(activationId) ? await runs.findLiveActivation(this.dataSource.manager, activationId) : null;
    if (!activation)
      throw new ActivationException('activation_not_found', `no activation ${activationId} (or its destination was deleted)`);
    return activation;
  }
}
