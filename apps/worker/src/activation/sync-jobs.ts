import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SyncQueueWorker, SyncSchedulerService } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';

const TICK = 'sync-tick';

/**
 * The worker's side of activation syncs: it follows every destination's queue (new destinations
 * are picked up on the tick), and on each tick requests the syncs that are due — after a segment
 * refresh (`after_refresh`, found by polling the latest succeeded segment run) or on a cron schedule.
 */
@Injectable()
export class SyncJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncJobs.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly worker: SyncQueueWorker,
    private readonly scheduler: SyncSchedulerService,
    private readonly registry: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.registry.addInterval(
      TICK,
      setInterval(() => void this.tick(), this.config.SCHEDULER_TICK_MS),
    );
    await this.tick();
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', TICK)) this.registry.deleteInterval(TICK);
  }

  private async tick(): Promise<void> {
    try {
      const queues = await this.worker.followNewQueues();
      if (queues.length) this.logger.log({ queues }, 'following new destination sync queues');
      const runs = await this.scheduler.enqueueDue();
      if (runs.length) this.logger.log({ runs }, 'requested scheduled syncs');
    } catch (error) {
      this.logger.error(`sync tick failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
