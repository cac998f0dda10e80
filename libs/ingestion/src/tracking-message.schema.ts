import { z } from 'zod';
import { TRACKING_LIMITS } from './limits';

export const TRACKING_MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type TrackingMessageType = (typeof TRACKING_MESSAGE_TYPES)[number];

const jsonObject = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });
const optionalObject = jsonObject.nullish();

/** Ids are strings; numbers are accepted and turned into strings, as Segment's libraries do. */
const trackingId = z
  .union([z.string(), z.number().finite()], { error: 'must be a string (or a number)' })
  .transform((value) => String(value))
  .pipe(z.string().max(TRACKING_LIMITS.maxIdLength, `must be at most ${TRACKING_LIMITS.maxIdLength} characters`));

// ISO 8601 date or date-time, with optional seconds, fraction and offset ("2024-05-01T10:00:00.123Z",
// "2024-05-01T10:00:00+02:00", "2024-05-01 10:00:00"). Segment's libraries send the first form.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Parses an ISO 8601 timestamp; a date-time without an offset is read as UTC. Null when invalid. */
export function parseIsoTimestamp(text: string): Date | null {
  // Fast path for what the Segment libraries send (`Date.toISOString()`): the general rule below
  // accepts it with the same result, at several times the cost.
  if (CANONICAL_ISO.test(text) && inRange(text, 5, 1, 12) && inRange(text, 8, 1, 31) && inRange(text, 11, 0, 23)) {
    const time = Date.parse(text);
    return Number.isNaN(time) ? null : new Date(time);
  }
  const match = ISO_8601.exec(text.trim());
  if (!match) return null;
  const [, , month, day, hour, , , offset] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31 || (hour !== undefined && Number(hour) > 23))
    return null;
  const normalised = text.trim().replace(' ', 'T') + (hour !== undefined && offset === undefined ? 'Z' : '');
  const time = Date.parse(normalised);
  return Number.isNaN(time) ? null : new Date(time);
}

/** Whether the two digits at `at` are a number from `low` to `high`. */
function inRange(text: string, at: number, low: number, high: number): boolean {
  const value = (text.charCodeAt(at) - 48) * 10 + (text.charCodeAt(at + 1) - 48);
  return value >= low && value <= high;
}

const timestamp = z.string({ error: 'must be an ISO 8601 date-time string' }).transform((text, context) => {
  const parsed = parseIsoTimestamp(text);
  if (!parsed) context.addIssue({ code: 'custom', message: `is not an ISO 8601 date-time: ${JSON.stringify(text.slice(0, 40))}` });
  return parsed ?? new Date(0);
});

const common = {
  messageId: z
    .string()
    .min(1)
    .max(TRACKING_LIMITS.maxMessageIdLength, `must be at most ${TRACKING_LIMITS.maxMessageIdLength} characters`)
    .optional(),
  userId: trackingId.nullish(),
  anonymousId: trackingId.nullish(),
  timestamp: timestamp.nullish(),
  originalTimestamp: timestamp.nullish(),
  sentAt: timestamp.nullish(),
  context: optionalObject,
  integrations: optionalObject,
};

const eventName = z
  .string()
  .min(1, 'must not be empty')
  .max(TRACKING_LIMITS.maxIdLength, `must be at most ${TRACKING_LIMITS.maxIdLength} characters`);
const pageName = z.string().max(TRACKING_LIMITS.maxIdLength).nullish();

/** One schema per call of the Segment tracking spec (https://segment.com/docs/connections/spec/). */
export const TRACKING_MESSAGE_SCHEMAS = {
  identify: z.object({ ...common, traits: optionalObject }),
  track: z.object({ ...common, event: eventName, properties: optionalObject }),
  page: z.object({ ...common, name: pageName, category: pageName, properties: optionalObject }),
  screen: z.object({ ...common, name: pageName, category: pageName, properties: optionalObject }),
  group: z.object({ ...common, groupId: trackingId, traits: optionalObject }),
  alias: z.object({ ...common, previousId: trackingId }),
} satisfies Record<TrackingMessageType, z.ZodType>;

export type TrackingMessageInput<T extends TrackingMessageType> = z.output<(typeof TRACKING_MESSAGE_SCHEMAS)[T]>;

/** The batch envelope; top-level `context` and `integrations` apply to every message. */
export const batchEnvelopeSchema = z.object({
  batch: z.array(z.unknown(), { error: 'must be an array of messages' }),
  sentAt: z.unknown().optional(),
  context: optionalObject,
  integrations: optionalObject,
});
