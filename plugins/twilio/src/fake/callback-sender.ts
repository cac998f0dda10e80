import { createHmac, randomBytes } from 'node:crypto';
import type { FakeMessage } from './twilio-fake';

/**
 * Twilio's webhooks, played by the fake: status callbacks about messages it created and incoming
 * messages (replies such as STOP), posted form-encoded and signed as Twilio documents ("Webhooks
 * security"): `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, full URL + every POST parameter
 * name and value, sorted by name)). Written here from the published algorithm, not with the
 * twilio SDK that the receiver verifies with, so the two check each other.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export interface CallbackOptions {
  /** Sign with another token (a forger's). */
  signWith?: string;
  /** Send no X-Twilio-Signature. */
  unsigned?: boolean;
  /** Sign for this URL but post to the real one (a signature for another URL). */
  signedUrl?: string;
}

/** Posts form parameters to `url` as Twilio does; answers status, content type and body text. */
export async function postTwilioWebhook(
  url: string,
  params: Readonly<Record<string, string>>,
  authToken: string,
  options: CallbackOptions = {},
): Promise<{ status: number; contentType: string | null; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1' };
  if (!options.unsigned) headers['x-twilio-signature'] = twilioSignature(options.signWith ?? authToken, options.signedUrl ?? url, params);
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params as Record<string, string>).toString() });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

export type TwilioMessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

/** A status callback's parameters for a message the fake created ("Messages resource: status callback"). */
export function statusCallbackParams(message: FakeMessage, status: TwilioMessageStatus, errorCode?: string): Record<string, string> {
  return {
    AccountSid: message.accountSid,
    ApiVersion: '2010-04-01',
    From: message.from ?? '',
    ...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
    MessageSid: message.sid,
    MessageStatus: status,
    SmsSid: message.sid,
    SmsStatus: status,
    To: message.to,
    ...(errorCode ? { ErrorCode: errorCode } : {}),
  };
}

/** Posts a status callback to the message's own StatusCallback URL (what Twilio calls). */
export async function postStatusCallback(
  message: FakeMessage,
  status: TwilioMessageStatus,
  authToken: string,
  options: CallbackOptions & { errorCode?: string } = {},
): Promise<{ status: number; contentType: string | null; text: string }> {
  if (!message.statusCallback) throw new Error(`message ${message.sid} was created without a StatusCallback`);
  return postTwilioWebhook(message.statusCallback, statusCallbackParams(message, status, options.errorCode), authToken, options);
}

/** An incoming message (a reply to our number) as Twilio posts it to the number's webhook. */
export function incomingMessageParams(input: {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  optOutType?: string;
}): Record<string, string> {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  return {
    AccountSid: input.accountSid,
    ApiVersion: '2010-04-01',
    Body: input.body,
    From: input.from,
    MessageSid: sid,
    NumMedia: '0',
    NumSegments: '1',
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: 'received',
    To: input.to,
    ...(input.optOutType ? { OptOutType: input.optOutType } : {}),
  };
}
