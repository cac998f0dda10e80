import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig, NotificationSender } from '@audiencekit/server-core';

/**
 * Sends the notifications outbox (failed refreshes and syncs, held runs, size swings) to
 * AK_NOTIFY_WEBHOOK_URL every AK_NOTIFY_POLL_MS: one pass at a time in this process; several
 * workers share the rows through leases (FOR UPDATE SKIP LOCKED).
 */
@Injectable()
export class NotificationJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationJobs.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sender: NotificationSender,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.sender.configured) this.logger.log('AK_NOTIFY_WEBHOOK_URL is not set: notifications are recorded, not sent');
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A timeout after each pass, not an interval: a slow receiver never makes passes overlap.
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => this.schedule());
    }, this.config.AK_NOTIFY_POLL_MS);
  }

  private async pass(): Promise<void> {
    try {
      const outcome = await this.sender.sendDue();
      if (outcome.sent || outcome.failed || outcome.expired) this.logger.log(outcome, 'notifications pass');
    } catch (error) {
      this.logger.error(`notifications pass failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
