import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConsentService } from '@audiencekit/privacy';
import { PeriodicPass } from '../app/periodic-pass';

/** How often the worker turns recorded consent withdrawals into removal syncs. */
export const CONSENT_DRAIN_MS = 2_000;

/**
 * Drains the consent-withdrawal outbox (libs/privacy `drainWithdrawals`): a `consent.<key>: false`
 * that arrived by identify or a merge becomes a sync of each mirror activation holding the person
 * whose destination requires that category, within about CONSENT_DRAIN_MS. Every worker process
 * runs one; rows are shared with SKIP LOCKED.
 */
@Injectable()
export class ConsentWithdrawalDrain implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsentWithdrawalDrain.name);
  private readonly passes: PeriodicPass;

  constructor(private readonly consent: ConsentService) {
    this.passes = new PeriodicPass('consent withdrawal drain', CONSENT_DRAIN_MS, () => this.drain(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async drain(): Promise<void> {
    const drained = await this.consent.drainWithdrawals();
    if (drained.withdrawals)
      this.logger.log({ withdrawals: drained.withdrawals, removals: drained.removals.length }, 'consent withdrawals drained');
  }
}
