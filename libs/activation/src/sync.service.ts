import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ActivationEntity, SyncRunEntity } from '@audiencekit/persistence';
import { ApiException, JobQueue } from '@audiencekit/server-core';
import { SyncJob, SYNC_JOB_OPTIONS, syncQueueName } from './sync-queues';
import { SyncOutcome, SyncRunner } from './sync-runner';
import { toSyncRunView, SyncRunView } from './sync-run.view';
import { SYNC_ENGINE_OPTIONS, SyncEngineOptions } from './sync-engine.options';
import { AWAITING_CONFIRMATION, MassSendDecision } from './guard/mass-send-guard';
import { isUuid } from '@audiencekit/util';

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

const DELETED_STATUSES = ['deleted', 'archived'];

/** Sync runs of activations: request (queued job), dry run, read, and the job body. */
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
   * @throws ApiException 404 `activation_not_found` for an unknown or deleted activation or destination.
   */
  async requestSync(activationId: string, options: RequestSyncOptions = {}): Promise<SyncRunView> {
    const run = await this.requestScheduled(activationId, options);
    if (!run) throw new ApiException(409, 'sync_already_requested', `a sync for "${options.triggerKey}" was already requested`);
    return run;
  }

  /** Like `requestSync`, but returns null when `triggerKey` was already requested (another worker's tick). */
  async requestScheduled(activationId: string, options: RequestSyncOptions = {}): Promise<SyncRunView | null> {
    const activation = await this.findLive(this.dataSource.manager, activationId);
    const queue = syncQueueName(activation.destinationId);
    await this.queue.ensureQueue(queue);
    return this.dataSource.transaction(async (manager) => {
      const run = await this.insertRun(manager, activation, { ...options, status: options.awaitConfirmation ? AWAITING_CONFIRMATION : 'queued' });
      if (!run) return null;
      if (options.fullResync) {
        await manager.query(`UPDATE sync_runs SET plan = coalesce(plan, '{}'::jsonb) || '{"fullResync": true}'::jsonb WHERE id = $1`, [run.id]);
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
    const activation = await this.findLive(this.dataSource.manager, held.activationId);
    const queue = syncQueueName(activation.destinationId);
    await this.queue.ensureQueue(queue);
    return this.dataSource.transaction(async (manager) => {
      // TypeORM answers an UPDATE ... RETURNING on Postgres as [rows, affected].
      const [rows]: [{ id: string }[], number] = await manager.query(
        `UPDATE sync_runs SET status = 'queued', queued_at = now(),
                plan = jsonb_set(coalesce(plan, '{}'::jsonb), '{guard}', coalesce(plan->'guard', '{}'::jsonb) || jsonb_build_object('confirmedBy', $2::text, 'confirmedAt', now()))
         WHERE id = $1 AND status = $3 RETURNING id`,
        [runId, confirmedBy, AWAITING_CONFIRMATION],
      );
      if (rows.length === 0) return null;
      await this.queue.sendInTransaction(manager, queue, { runId } satisfies SyncJob, SYNC_JOB_OPTIONS);
      return toSyncRunView(await manager.getRepository(SyncRunEntity).findOneByOrFail({ id: runId }));
    });
  }

  /** Computes the itemised plan now (sends nothing) and stores it as a dry run. */
  async dryRun(activationId: string, options: { sampleSize?: number; requestedBy?: string | null } = {}): Promise<SyncRunView> {
    const activation = await this.findLive(this.dataSource.manager, activationId);
    const run = await this.insertRun(this.dataSource.manager, activation, { dryRun: true, requestedBy: options.requestedBy, status: 'running' });
    if (!run) throw new ApiException(409, 'sync_already_requested', 'the dry run could not be recorded');
    await this.runner.executePlan(run, options.sampleSize ?? this.options.sampleSize);
    return this.getRun(run.id);
  }

  /** @throws ApiException 404 `sync_run_not_found`. */
  async getRun(runId: string): Promise<SyncRunView> {
    const run = isUuid(runId) ? await this.dataSource.getRepository(SyncRunEntity).findOneBy({ id: runId }) : null;
    if (!run) throw new ApiException(404, 'sync_run_not_found', `no sync run ${runId}`);
    return toSyncRunView(run);
  }

  /** Newest first. @throws ApiException 404 for an unknown activation. */
  async listRuns(activationId: string, page: RunPage = {}): Promise<{ items: SyncRunView[]; total: number; limit: number; offset: number }> {
    if (!isUuid(activationId) || !(await this.dataSource.getRepository(ActivationEntity).existsBy({ id: activationId }))) {
      throw new ApiException(404, 'activation_not_found', `no activation ${activationId}`);
    }
    const limit = Math.min(Math.max(1, Math.floor(page.limit ?? 20)), 200);
    const offset = Math.max(0, Math.floor(page.offset ?? 0));
    const [runs, total] = await this.dataSource.getRepository(SyncRunEntity).findAndCount({
      where: { activationId, ...(page.status ? { status: page.status } : {}) },
      order: { queuedAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items: runs.map(toSyncRunView), total, limit, offset };
  }

  /** The job handler body: executes (or resumes) the run. */
  execute(runId: string): Promise<SyncOutcome> {
    return this.runner.execute(runId);
  }

  /** Gives up on a run the queue will not retry any more (e.g. an unexpected error on its last attempt). */
  async failRun(runId: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE sync_runs SET status = 'failed', finished_at = now(),
              errors = coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('kind', 'gave_up', 'message', $2::text, 'at', now()))
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [runId, reason],
    );
  }

  private async findLive(manager: EntityManager, activationId: string): Promise<ActivationEntity> {
    const rows: ActivationEntity[] = isUuid(activationId)
      ? await manager
          .getRepository(ActivationEntity)
          .createQueryBuilder('a')
          .innerJoin('destinations', 'd', 'd.id = a.destination_id AND d.deleted_at IS NULL')
          .where('a.id = :id AND a.status NOT IN (:...deleted)', { id: activationId, deleted: DELETED_STATUSES })
          .getMany()
      : [];
    if (rows.length === 0) throw new ApiException(404, 'activation_not_found', `no activation ${activationId} (or its destination was deleted)`);
    return rows[0];
  }

  private async insertRun(
    manager: EntityManager,
    activation: ActivationEntity,
    options: RequestSyncOptions & { status: 'queued' | 'running' | typeof AWAITING_CONFIRMATION },
  ): Promise<SyncRunEntity | null> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO sync_runs (activation_id, segment_run_id, segment_version, status, dry_run, trigger, trigger_key, requested_by, plan, started_at)
       SELECT a.id,
              (SELECT r.id FROM segment_runs r WHERE r.segment_id = a.segment_id AND r.status = 'succeeded' ORDER BY r.finished_at DESC NULLS LAST LIMIT 1),
              s.current_version, $2, $3, $4, $5, $6, $7::jsonb, now()
       FROM activations a JOIN segments s ON s.id = a.segment_id WHERE a.id = $1
       ON CONFLICT (activation_id, trigger_key) DO NOTHING
       RETURNING id`,
      [activation.id, options.status, options.dryRun ?? false, options.trigger ?? 'manual', options.triggerKey ?? null, options.requestedBy ?? null, options.guard ? JSON.stringify({ guard: options.guard }) : null],
    );
    if (rows.length === 0) return null;
    return manager.getRepository(SyncRunEntity).findOneByOrFail({ id: rows[0].id });
  }
}

