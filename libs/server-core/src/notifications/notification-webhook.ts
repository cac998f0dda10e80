import { createHmac } from 'node:crypto';
import type { ClaimedNotification } from './notifications.repository';

/** Header carrying the HMAC signature of a notification (when AK_NOTIFY_WEBHOOK_SECRET is set). */
export const SIGNATURE_HEADER = 'x-audiencekit-signature';
export const TIMESTAMP_HEADER = 'x-audiencekit-timestamp';
/** The notification's id: delivery is at least once, so a receiver drops a repeat by it. */
export const NOTIFICATION_ID_HEADER = 'x-audiencekit-notification-id';

/** The JSON body of one notification (documented in docs/operations.md, "Notifications"). */
export function notificationBody(notification: ClaimedNotification): string {
  return JSON.stringify({
    id: notification.id,
    kind: notification.kind,
    occurredAt: new Date(notification.createdAt).toISOString(),
    attempt: notification.attempts,
    ...notification.payload,
  });
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the timestamp is signed so a captured request cannot be replayed later as new. */
export function signNotification(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers of one POST. */
export function notificationHeaders(
  notification: ClaimedNotification,
  body: string,
  secret: string | undefined,
  now: Date,
): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    'content-type': 'application/json',
    'user-agent': 'audiencekit-notifications',
    [NOTIFICATION_ID_HEADER]: notification.id,
    [TIMESTAMP_HEADER]: timestamp,
    ...(secret ? { [SIGNATURE_HEADER]: signNotification(secret, timestamp, body) } : {}),
  };
}

/** Seconds before the next attempt after `attempts` failed ones: 10 s doubling, at most an hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3_600, 10 * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}
