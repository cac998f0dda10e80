import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { pruneSendLedgerOnce } from '@audiencekit/activation-engine';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

// The ledger only grows by the sends of an hour between two passes: hourly pruning keeps it at the horizon.
export const SEND_LEDGER_PRUNE_MS = 3_600_000;

/**
 * Prunes the frequency caps' send ledger (libs/activation-engine `pruneSendLedgerOnce`, issue #23):
 * at start and then every hour, rows older than the retention horizon (the longest cap window + 1 h,
 * and at least `AK_SEND_LEDGER_RETENTION_DAYS`) are deleted in batches of 5,000, one short statement
 * each (SKIP LOCKED: never waits for a reservation). Every worker runs it; two workers pruning at
 * once skip each other's rows.
 */
@Injectable()
export class SendLedgerRetentionJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SendLedgerRetentionJobs.name);
  private readonly passes: PeriodicPass;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.passes = new PeriodicPass('send ledger pruning', SEND_LEDGER_PRUNE_MS, () => this.prune(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start({ now: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async prune(): Promise<void> {
    const deleted = await pruneSendLedgerOnce(this.dataSource, { retentionDays: this.config.AK_SEND_LEDGER_RETENTION_DAYS });
    if (deleted > 0) this.logger.log({ deleted }, 'send ledger pruned');
  }
}

@Module({ providers: [SendLedgerRetentionJobs] })
export class SendLedgerRetentionJobsModule {}
