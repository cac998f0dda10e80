import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SyncQueueWorker, SyncSchedulerService } from '@audiencekit/activation-engine';
import { RefreshJob, SegmentRefreshService, SegmentSchedulerService } from '@audiencekit/segments-service';
import { APP_CONFIG, AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { SegmentRefreshMetrics } from '../health/segment-refresh-metrics.service';

const TICK = 'segment-cadence-tick';

/**
 * The worker's side of segment refresh: a clock tick (every SCHEDULER_TICK_MS) enqueues due
 * refreshes, and a queue handler executes them. A segment busy in another worker throws, so the
 * queue retries the job later.
 */
@Injectable()
export class SegmentRefreshJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SegmentRefreshJobs.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly refresh: SegmentRefreshService,
    private readonly scheduler: SegmentSchedulerService,
    private readonly registry: SchedulerRegistry,
    private readonly syncScheduler: SyncSchedulerService,
    private readonly syncWorker: SyncQueueWorker,
    @Optional() private readonly refreshMetrics?: SegmentRefreshMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work<RefreshJob>(QUEUES.segmentRefresh, async ({ runId }) => {
      const execute = () => this.refresh.execute(runId);
      const outcome = await (this.refreshMetrics ? this.refreshMetrics.time(runId, execute) : execute());
      this.logger.log({ runId, ...outcome }, 'segment refresh finished');
      if (outcome.corrections) await this.refreshMetrics?.countCorrections(runId, outcome.corrections);
      if (outcome.status === 'succeeded') await this.syncAfterRefresh(runId);
    });
    this.registry.addInterval(
      TICK,
      setInterval(() => void this.tick(), this.config.SCHEDULER_TICK_MS),
    );
    await this.tick();
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', TICK)) this.registry.deleteInterval(TICK);
  }

  /**
   * The after-refresh hook: request the segment's `after_refresh` syncs now rather than on the next
   * sync tick. Best effort — the sync tick's poll finds the same runs (same trigger key, so never a
   * second one) if this fails or the worker dies first; a failure never fails the refresh job.
   */
  private async syncAfterRefresh(runId: string): Promise<void> {
    try {
      const requested = await this.syncScheduler.enqueueAfterRefreshOf(runId);
      if (requested.length === 0) return;
      await this.syncWorker.followNewQueues(); // follow a destination created since the last tick
      this.logger.log({ runId, syncs: requested }, 'requested after-refresh syncs');
    } catch (error) {
      this.logger.warn(
        `after-refresh syncs of segment run ${runId} not requested (the sync tick will): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private async tick(): Promise<void> {
    try {
      const enqueued = await this.scheduler.enqueueDue();
      if (enqueued.length) this.logger.log({ runs: enqueued }, 'enqueued scheduled refreshes');
    } catch (error) {
      this.logger.error(`scheduler tick failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
