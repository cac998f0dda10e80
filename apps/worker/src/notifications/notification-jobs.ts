import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig, NotificationSender } from '@audiencekit/server-core';
import { PeriodicPass } from '../app/periodic-pass';

/**
 * Sends the notifications outbox (failed refreshes and syncs, held runs, size swings) to
 * AK_NOTIFY_WEBHOOK_URL every AK_NOTIFY_POLL_MS: one pass at a time in this process; several
 * workers share the rows through leases (FOR UPDATE SKIP LOCKED).
 */
@Injectable()
export class NotificationJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationJobs.name);
  private readonly passes: PeriodicPass;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sender: NotificationSender,
  ) {
    this.passes = new PeriodicPass('notifications pass', config.AK_NOTIFY_POLL_MS, () => this.send(), this.logger);
  }

  onApplicationBootstrap(): void {
    if (!this.sender.configured) this.logger.log('AK_NOTIFY_WEBHOOK_URL is not set: notifications are recorded, not sent');
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async send(): Promise<void> {
    const outcome = await this.sender.sendDue();
    if (outcome.sent || outcome.failed || outcome.expired) this.logger.log(outcome, 'notifications pass');
  }
}
