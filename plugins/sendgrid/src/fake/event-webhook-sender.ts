import { generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import type { FakeDeliveredMail } from './sendgrid-fake';

/**
 * SendGrid's Signed Event Webhook, played by the fake: after a Mail Send, a test makes the fake post
 * events about the mails it "delivered" to our API, signed as SendGrid signs them ("Getting Started
 * with the Event Webhook Security Features"): an ECDSA P-256 key pair whose public key (base64 of
 * the DER SubjectPublicKeyInfo) the account shows, and for every post the header
 * `X-Twilio-Email-Event-Webhook-Signature` = base64(DER ECDSA-SHA256 signature of timestamp + body),
 * `X-Twilio-Email-Event-Webhook-Timestamp` = Unix seconds. Events are a JSON array; each carries
 * `email`, `timestamp`, `event`, `sg_event_id`, `sg_message_id` and the message's custom args as
 * top-level keys ("Event Webhook Reference").
 */
export interface EventWebhookKeys {
  /** What the destination holds (`settings.eventWebhookPublicKey`). */
  publicKey: string;
  privateKey: KeyObject;
}

export function generateEventWebhookKeys(): EventWebhookKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), privateKey };
}

export type SendgridEventType =
  'processed' | 'delivered' | 'deferred' | 'open' | 'click' | 'bounce' | 'dropped' | 'spamreport' | 'unsubscribe' | 'group_unsubscribe';

/** One event about a mail the fake accepted, shaped like SendGrid's (custom args at the top level). */
export function eventAbout(
  mail: FakeDeliveredMail,
  event: SendgridEventType,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const specific: Record<string, unknown> =
    event === 'click'
      ? { url: 'https://example.com/offer', url_offset: { index: 0, type: 'html' } }
      : event === 'bounce'
        ? {
            reason: '550 5.1.1 The email account that you tried to reach does not exist.',
            status: '5.1.1',
            type: 'bounce',
            bounce_classification: 'Invalid Address',
          }
        : event === 'dropped'
          ? { reason: 'Bounced Address', status: '5.0.0' }
          : event === 'deferred'
            ? { response: '400 try again later', attempt: '1' }
            : {};
  return {
    email: mail.to,
    timestamp: Math.floor(Date.now() / 1000),
    event,
    sg_event_id: randomBytes(16).toString('base64url'),
    sg_message_id: `${mail.messageId}.filterdrecv-1-0`,
    ...mail.customArgs,
    ...specific,
    ...extra,
  };
}

export interface PostOptions {
  /** Signed timestamp in Unix seconds (default now): an old one is a replay. */
  timestamp?: number;
  /** Sign with another key (a forger's). */
  signWith?: KeyObject;
  /** Send no signature headers at all. */
  unsigned?: boolean;
  /** Change the body after signing (a tampered post). */
  tamper?: (body: string) => string;
  /** Post this exact text instead of the events' JSON (still signed). */
  rawBody?: string;
}

/** Posts the events to `url` as SendGrid does; answers the status and body text. */
export async function postEventWebhook(
  url: string,
  events: readonly Record<string, unknown>[],
  keys: EventWebhookKeys,
  options: PostOptions = {},
): Promise<{ status: number; text: string }> {
  const body = options.rawBody ?? JSON.stringify(events);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body, 'utf8'), options.signWith ?? keys.privateKey).toString('base64');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'SendGrid Event API' };
  if (!options.unsigned) {
    headers['x-twilio-email-event-webhook-signature'] = signature;
    headers['x-twilio-email-event-webhook-timestamp'] = timestamp;
  }
  const response = await fetch(url, { method: 'POST', headers, body: options.tamper ? options.tamper(body) : body });
  return { status: response.status, text: await response.text() };
}
