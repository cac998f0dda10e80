import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RefreshJob, SegmentRefreshService, SegmentSchedulerService } from '@audiencekit/segments';
import { APP_CONFIG, AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';

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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work<RefreshJob>(QUEUES.segmentRefresh, async ({ runId }) => {
      const outcome = await this.refresh.execute(runId);
      this.logger.log({ runId, ...outcome }, 'segment refresh finished');
    });
    this.registry.addInterval(TICK, setInterval(() => void this.tick(), this.config.SCHEDULER_TICK_MS));
    await this.tick();
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', TICK)) this.registry.deleteInterval(TICK);
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
