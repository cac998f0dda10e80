import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createGuardedHttp, GuardedHttp } from '@audiencekit/connector-sdk';
import { errorMessage } from '@audiencekit/util';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config.schema';
import { notificationBody, notificationHeaders, retryDelaySeconds } from './notification-webhook';
import { claimDue, ClaimedNotification, expireOld, markFailed, markSent } from './notifications.repository';

export type NotificationConfig = Pick<AppConfig, 'AK_NOTIFY_MAX_AGE_HOURS'> &
  Partial<Pick<AppConfig, 'AK_NOTIFY_WEBHOOK_URL' | 'AK_NOTIFY_WEBHOOK_SECRET'>>;

const BATCH = 50;
const TIMEOUT_MS = 10_000;
/** Longer than a send can take (timeout), so a row is never sent by two workers at once. */
const LEASE_SECONDS = 60;

/** What one pass did. */
export interface SendOutcome {
  sent: number;
  failed: number;
  expired: number;
}

/**
 * Sends the notifications outbox to the operator's webhook (AK_NOTIFY_WEBHOOK_URL), one POST per
 * notification through the SDK's guarded client (the SSRF guard of the webhook connector: private
 * and loopback hosts only with AK_OUTBOUND_ALLOWED_HOSTS, no redirects, no proxy). A 2xx marks it
 * `sent`; anything else retries with backoff until AK_NOTIFY_MAX_AGE_HOURS, then `expired`.
 * Without a URL nothing is sent and rows expire. Every worker may call `sendDue`; rows are leased.
 */
@Injectable()
export class NotificationSender {
  private readonly logger = new Logger(NotificationSender.name);
  private readonly http: GuardedHttp;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: NotificationConfig,
  ) {
    this.http = createGuardedHttp();
  }

  get configured(): boolean {
    return Boolean(this.config.AK_NOTIFY_WEBHOOK_URL);
  }

  async sendDue(): Promise<SendOutcome> {
    const manager = this.dataSource.manager;
    const expired = await expireOld(manager, this.config.AK_NOTIFY_MAX_AGE_HOURS);
    const outcome: SendOutcome = { sent: 0, failed: 0, expired };
    const url = this.config.AK_NOTIFY_WEBHOOK_URL;
    if (!url) return outcome;
    for (;;) {
      const due = await claimDue(manager, BATCH, LEASE_SECONDS);
      for (const notification of due) {
        const error = await this.post(url, notification);
        if (error === null) {
          await markSent(manager, notification.id);
          outcome.sent++;
        } else {
          await markFailed(manager, notification.id, error, retryDelaySeconds(notification.attempts));
          outcome.failed++;
          this.logger.warn(
            { id: notification.id, kind: notification.kind, attempts: notification.attempts, error },
            'notification not delivered',
          );
        }
      }
      if (due.length < BATCH) return outcome;
    }
  }

  /** null when the receiver answered 2xx, else why not. */
  private async post(url: string, notification: ClaimedNotification): Promise<string | null> {
    const body = notificationBody(notification);
    try {
      const response = await this.http.client.post(url, body, {
        headers: notificationHeaders(notification, body, this.config.AK_NOTIFY_WEBHOOK_SECRET, new Date()),
        timeout: TIMEOUT_MS,
        validateStatus: () => true,
        transformRequest: [(data: string) => data],
        responseType: 'text',
      });
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (error) {
      return errorMessage(error);
    }
  }
}
