import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { FitJob, ModelFitJobsService } from '@audiencekit/segments-service';
import { APP_CONFIG, AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

/**
 * The worker's side of model fits (#21): the `model-fit` queue's handler runs the fits, refits and
 * k choices the API queued (ModelFitJobsService.execute; progress in `model_fit_jobs`), and a pass
 * every SCHEDULER_TICK_MS queues the refits whose `refitCadence` is due (one per segment and fire
 * time across all workers). A fit is synchronous CPU work: it holds this worker's event loop, never
 * the API's.
 */
@Injectable()
export class ModelFitJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ModelFitJobs.name);
  private readonly refits: PeriodicPass;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly queue: JobQueue,
    private readonly fits: ModelFitJobsService,
  ) {
    this.refits = new PeriodicPass('refit schedule', config.SCHEDULER_TICK_MS, () => this.queueDueRefits(), this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work<FitJob>(QUEUES.modelFit, async ({ fitJobId }) => {
      const job = await this.fits.execute(fitJobId);
      this.logger.log({ fitJobId, kind: job.kind, state: job.state, segmentId: job.segmentId }, 'model fit job finished');
    });
    this.refits.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.refits.stop();
  }

  private async queueDueRefits(): Promise<void> {
    const queued = await this.fits.enqueueDueRefits();
    if (queued.length) this.logger.log({ jobs: queued }, 'queued scheduled refits');
  }
}
