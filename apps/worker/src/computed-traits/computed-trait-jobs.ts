import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ComputedTraitsService } from '@audiencekit/segments-service';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

/**
 * Runs computed traits on their cadence: every SCHEDULER_TICK_MS (like segment refreshes) each
 * worker asks for due traits (ComputedTraitsService.runDue); a run holds the trait's run lock and
 * records `last_run_at`, so one worker runs each fire time and the others skip it. Real-time
 * traits are due once a day (the reconcile); between, the real-time evaluator keeps them fresh.
 */
@Injectable()
export class ComputedTraitJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ComputedTraitJobs.name);
  private readonly passes: PeriodicPass;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly traits: ComputedTraitsService,
  ) {
    this.passes = new PeriodicPass('computed trait schedule', config.SCHEDULER_TICK_MS, () => this.runDue(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async runDue(): Promise<void> {
    const runs = (await this.traits.runDue()).filter((run) => run.status !== 'skipped');
    if (runs.length) this.logger.log({ runs }, 'ran scheduled computed traits');
  }
}
