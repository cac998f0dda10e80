import type { ConnectorLimits } from '@audiencekit/connector-sdk';
import { z } from 'zod';

const E164 = /^\+[1-9]\d{1,14}$/;
/** A From is an E.164 number, a short code, or an alphanumeric sender id (up to 11 characters). */
const SENDER = /^(\+[1-9]\d{1,14}|\d{3,8}|[A-Za-z0-9 -]{1,11})$/;

export const SENDER_TYPES = ['long_code', 'toll_free', 'short_code'] as const;
export type SenderType = (typeof SENDER_TYPES)[number];

/**
 * Twilio's documented default throughput in message segments per second, US and Canada: a long
 * code 1, a toll-free number 3, a short code 100 ("Understanding Twilio Rate Limits and Message
 * Queues", "Toll-Free SMS and MMS messaging throughput (MPS)"). Accounts with more set
 * `messagesPerSecond`.
 */
export const DOCUMENTED_MPS: Record<SenderType, number> = { long_code: 1, toll_free: 3, short_code: 100 };

export const twilioSettings = z
  .object({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'an Account SID is AC followed by 32 hex digits')
      .describe('Twilio Account SID'),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, 'a Messaging Service SID is MG followed by 32 hex digits')
      .optional()
      .describe('Send through this Messaging Service (or set from)'),
    from: z
      .string()
      .regex(SENDER, 'from must be an E.164 number, a short code or an alphanumeric sender id')
      .optional()
      .describe('Send from this number (or set messagingServiceSid)'),
    senderType: z.enum(SENDER_TYPES).default('long_code').describe('What kind of sender: sets the default throughput'),
    messagesPerSecond: z.number().positive().max(1_000).optional().describe('Throughput override, message segments per second'),
    statusCallbackUrl: z
      .url({ protocol: /^https?$/ })
      .refine((url) => !new URL(url).hostname.includes('_'), 'Twilio refuses a status callback URL whose host name has an underscore')
      .optional()
      .describe('Twilio posts delivery status here; the delivery key is added as akDeliveryKey'),
    /** ValidityPeriod: a message still queued after this long is not sent (1–36000 s; Twilio's default is the maximum). */
    validityPeriodSeconds: z.number().int().min(1).max(36_000).optional().describe('Drop messages still queued after this many seconds'),
  })
  .refine((settings) => (settings.messagingServiceSid === undefined) !== (settings.from === undefined), {
    message: 'set exactly one of messagingServiceSid and from',
    path: ['messagingServiceSid'],
  });
export type TwilioSettings = z.infer<typeof twilioSettings>;

/**
 * An Auth Token, or an API key (SK… sid and secret), which Twilio recommends for production, or both:
 * with an API key the calls use the key, and the Auth Token is kept only to verify the callbacks
 * Twilio signs with it (status callbacks and incoming messages, libs/vendor-events).
 */
export const twilioSecrets = z
  .object({
    authToken: z
      .string()
      .min(1)
      .optional()
      .describe('Auth Token of the account (with an API key: only to verify the callbacks Twilio signs with it)'),
    apiKeySid: z
      .string()
      .regex(/^SK[0-9a-fA-F]{32}$/, 'an API key SID is SK followed by 32 hex digits')
      .optional()
      .describe('API key SID'),
    apiKeySecret: z.string().min(1).optional().describe('API key secret'),
  })
  .refine((secrets) => (secrets.apiKeySid === undefined) === (secrets.apiKeySecret === undefined), {
    message: 'an API key needs both apiKeySid and apiKeySecret',
    path: ['apiKeySecret'],
  })
  .refine((secrets) => secrets.authToken !== undefined || secrets.apiKeySid !== undefined, {
    message: 'set authToken, or apiKeySid and apiKeySecret (and authToken to verify callbacks)',
    path: ['authToken'],
  });
export type TwilioSecrets = z.infer<typeof twilioSecrets>;

export const isE164 = (value: string): boolean => E164.test(value);

/** A batch carries at most this many messages, even on a fast sender: a failure stops little. */
export const MAX_MESSAGES_PER_BATCH = 100;

/**
 * Limits for a sender: the core calls `send` with batches of one second's worth of messages
 * (`maxBatchSize` = MPS, 1 to 100) at `maxRequestsPerSecond` = MPS / batch size calls a second, so
 * batch size × calls per second = the sender's throughput, and Twilio's queue stays short.
 */
export function twilioLimits(settings: Pick<TwilioSettings, 'senderType' | 'messagesPerSecond'>): ConnectorLimits {
  const mps = settings.messagesPerSecond ?? DOCUMENTED_MPS[settings.senderType ?? 'long_code'];
  const maxBatchSize = Math.max(1, Math.min(MAX_MESSAGES_PER_BATCH, Math.floor(mps)));
  return { maxBatchSize, maxRequestsPerSecond: mps / maxBatchSize, maxConcurrency: 1 };
}
