import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConsentService } from '@audiencekit/privacy';

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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly consent: ConsentService) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A timeout after each pass, not an interval: a slow pass never overlaps the next one.
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => this.schedule());
    }, CONSENT_DRAIN_MS);
  }

  private async pass(): Promise<void> {
    try {
      const drained = await this.consent.drainWithdrawals();
      if (drained.withdrawals)
        this.logger.log({ withdrawals: drained.withdrawals, removals: drained.removals.length }, 'consent withdrawals drained');
    } catch (error) {
      this.logger.error(
        `consent withdrawal drain failed (the next pass retries): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
