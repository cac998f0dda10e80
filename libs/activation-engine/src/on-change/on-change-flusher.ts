import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { JobQueue } from '@audiencekit/server-core';
import { insertRun } from '../data/sync-run.repository';
import { SyncEngineOptions, SYNC_ENGINE_OPTIONS } from '../sync-engine.options';
import { SyncQueueWorker } from '../sync-queue-worker.service';
import { ON_CHANGE_JOB_OPTIONS, SyncJob, syncQueueName } from '../sync-queues';
import {
  claimPendingChanges,
  ClaimedChange,
  dropPendingChanges,
  hasOpenOnChangeRun,
  insertRunProfiles,
  lockActivationForFlush,
  ON_CHANGE_SCHEDULE,
  ON_CHANGE_TRIGGER,
  pendingActivations,
} from './on-change.repository';

/** What one flush of one activation recorded. */
export interface FlushedRun {
  runId: string;
  activationId: string;
  destinationId: string;
  changes: number;
}

/**
 * Turns the changes pending for `on_change` activations (the outbox the trigger on
 * `segment_membership_changes` fills in the changes' own transactions) into ordinary sync runs,
 * scoped to the changed profiles: same queue, same runner, same filters, exposures, gates, retries,
 * idempotency keys, guard and bookkeeping as every sync. One transaction per activation locks the
 * activation row (SKIP LOCKED: another worker flushing it is skipped), takes its pending rows,
 * records the run, its profiles and its job — so a change is in exactly one run, and a worker dying
 * anywhere leaves either the rows pending or the run queued. An activation has at most one open
 * on-change run: changes arriving meanwhile wait for the next flush (natural micro-batches), and a
 * run held by the hourly cap holds back the later ones until it is confirmed.
 */
@Injectable()
export class OnChangeFlusher {
  private readonly logger = new Logger(OnChangeFlusher.name);
  private readonly ensuredQueues = new Set<string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    @Inject(SYNC_ENGINE_OPTIONS) private readonly options: SyncEngineOptions,
    // Optional: in a worker, wakes this process's subscription to the destination's queue right away.
    @Optional() private readonly queueWorker?: SyncQueueWorker,
  ) {}

  /** One pass over every activation with pending changes; returns the runs it recorded. */
  async flushOnce(): Promise<FlushedRun[]> {
    const flushed: FlushedRun[] = [];
    for (const { activationId } of await pendingActivations(this.dataSource.manager)) {
      try {
        const run = await this.flushActivation(activationId);
        if (!run) continue;
        flushed.push(run);
        this.queueWorker?.wake(run.destinationId);
      } catch (error) {
        // One activation's failure (e.g. its queue cannot be created) never stops the others; its rows stay pending.
        this.logger.warn(`on-change flush of ${activationId} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return flushed;
  }

  private flushActivation(activationId: string): Promise<FlushedRun | null> {
    return this.dataSource.transaction(async (tx) => {
      const activation = await lockActivationForFlush(tx, activationId);
      if (!activation) return null; // another worker is flushing it
      if (activation.schedule !== ON_CHANGE_SCHEDULE || (activation.status !== 'active' && activation.status !== 'paused')) {
        // It no longer delivers on change: its own schedule's full diff covers these profiles.
        await dropPendingChanges(tx, activationId);
        return null;
      }
      if (activation.status !== 'active' || (await hasOpenOnChangeRun(tx, activationId))) return null;
      const changes = await claimPendingChanges(tx, activationId, this.options.onChangeMaxRunChanges);
      if (changes.length === 0) return null;
      const queue = syncQueueName(activation.destinationId);
      await this.ensureQueue(queue);
      const runId = await this.recordRun(tx, activationId, changes);
      await this.queue.sendInTransaction(tx, queue, { runId } satisfies SyncJob, ON_CHANGE_JOB_OPTIONS);
      return { runId, activationId, destinationId: activation.destinationId, changes: changes.length };
    });
  }

  private async recordRun(tx: EntityManager, activationId: string, changes: ClaimedChange[]): Promise<string> {
    const run = await insertRun(tx, activationId, {
      status: 'queued',
      trigger: ON_CHANGE_TRIGGER,
      // The first change id is unique per activation (a change is claimed once).
      triggerKey: `${ON_CHANGE_TRIGGER}:${changes[0].changeId}`,
      plan: { onChange: onChangeFigures(changes) },
    });
    if (!run) throw new Error(`on-change run for change ${changes[0].changeId} already recorded`);
    await insertRunProfiles(tx, run.id, [...new Set(changes.map((change) => change.profileId))]);
    return run.id;
  }

  private async ensureQueue(queue: string): Promise<void> {
    if (this.ensuredQueues.has(queue)) return;
    await this.queue.ensureQueue(queue);
    this.ensuredQueues.add(queue);
  }
}

/**
 * What the run carries, kept in its `plan.onChange`: counts and the enqueue times of its oldest and
 * newest change (stamped in the change's own transaction, just before its commit), so "change
 * committed → vendor request" can be read off a run next to its batches' `created_at` (recorded right
 * before each call).
 */
export function onChangeFigures(changes: ClaimedChange[]): Record<string, unknown> {
  const times = changes.map((change) => new Date(change.enqueuedAt).getTime());
  return {
    changes: changes.length,
    entered: changes.filter((change) => change.change === 'added').length,
    exited: changes.filter((change) => change.change === 'removed').length,
    profiles: new Set(changes.map((change) => change.profileId)).size,
    firstChangeId: changes[0].changeId,
    lastChangeId: changes[changes.length - 1].changeId,
    oldestChangeAt: new Date(Math.min(...times)).toISOString(),
    newestChangeAt: new Date(Math.max(...times)).toISOString(),
    flushedAt: new Date().toISOString(),
  };
}
