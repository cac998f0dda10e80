import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SqlTraitsService } from '@audiencekit/sql-traits';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

/**
 * Runs SQL traits on their cadence: every SCHEDULER_TICK_MS (like segment refreshes) each worker
 * asks for due traits; one worker claims each fire time (SqlTraitsService.runDue) and runs it. A
 * failed run is logged and recorded on the trait's card; the next fire time tries again.
 */
@Injectable()
export class SqlTraitJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SqlTraitJobs.name);
  private readonly passes: PeriodicPass;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sqlTraits: SqlTraitsService,
  ) {
    this.passes = new PeriodicPass('SQL trait schedule', config.SCHEDULER_TICK_MS, () => this.runDue(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async runDue(): Promise<void> {
    const runs = await this.sqlTraits.runDue();
    if (runs.length) this.logger.log({ runs }, 'ran scheduled SQL traits');
  }
}
