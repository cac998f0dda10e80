import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobQueue } from '@audiencekit/server-core';
import { liveDestinationIds } from './data/sync-schedule.repository';
import { SyncJob, syncQueueName } from './sync-queues';
import { SyncException } from './sync.exception';
import { SyncService } from './sync.service';

/**
 * Subscribes this worker to every destination's sync queue (one pg-boss queue per destination,
 * created on demand) and picks up new destinations on each `followNewQueues()` (the worker's tick). Each
 * subscription runs its jobs one at a time, independently of the others and of segment refreshes,
 * so a destination whose vendor hangs only ever holds up its own queue.
 */
@Injectable()
export class SyncQueueWorker {
  private readonly logger = new Logger(SyncQueueWorker.name);
  /** Queue name → this process's pg-boss worker id on it. */
  private readonly subscribed = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly syncs: SyncService,
  ) {}

  /** Look-ups run one at a time (the tick and the after-refresh hook may overlap): a queue is never followed twice. */
  private following: Promise<unknown> = Promise.resolve();

  /** Subscribes to the queues of destinations not yet followed; returns the new queue names. */
  followNewQueues(pollingIntervalSeconds = 1): Promise<string[]> {
    const next = this.following.then(() => this.subscribeNew(pollingIntervalSeconds));
    this.following = next.catch(() => undefined);
    return next;
  }

  private async subscribeNew(pollingIntervalSeconds: number): Promise<string[]> {
    const added: string[] = [];
    for (const id of await liveDestinationIds(this.dataSource.manager)) {
      const name = syncQueueName(id);
      if (this.subscribed.has(name)) continue;
      await this.queue.ensureQueue(name);
      const workerId = await this.queue.work<SyncJob>(name, (data, job) => this.handle(data, job), pollingIntervalSeconds);
      this.subscribed.set(name, workerId);
      added.push(name);
    }
    return added;
  }

  /**
   * A run was just queued for this destination (the on-change flusher): fetch it now instead of at
   * the next poll, when this process follows the queue (another process still finds it by polling).
   */
  wake(destinationId: string): void {
    const workerId = this.subscribed.get(syncQueueName(destinationId));
    if (workerId) this.queue.notifyWorker(workerId);
  }

  private async handle({ runId }: SyncJob, job: { retryCount?: number; retryLimit?: number }): Promise<void> {
    try {
      const outcome = await this.syncs.execute(runId);
      this.logger.log({ runId, status: outcome.status, counts: outcome.counts, reason: outcome.reason }, 'sync run finished');
    } catch (error) {
      const lastAttempt = (job.retryCount ?? 0) >= (job.retryLimit ?? 0);
      const message = error instanceof Error ? error.message : String(error);
      if (lastAttempt) await this.syncs.failRun(runId, `gave up after ${(job.retryCount ?? 0) + 1} attempt(s): ${message}`);
      if (!(error instanceof SyncException)) this.logger.error({ runId, error: message }, 'sync run attempt failed; the queue retries it');
      throw error;
    }
  }
}
