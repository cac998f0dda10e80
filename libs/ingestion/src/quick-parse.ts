import { TRACKING_LIMITS } from './limits';
import { parseIsoTimestamp, TrackingMessageInput, TrackingMessageType } from './tracking-message.schema';

/** The fields of any message type, as the zod schemas output them. */
export type AnyTrackingMessage = Partial<
  TrackingMessageInput<'identify'> &
    TrackingMessageInput<'track'> &
    TrackingMessageInput<'page'> &
    TrackingMessageInput<'group'> &
    TrackingMessageInput<'alias'>
>;

const MAX = TRACKING_LIMITS.maxIdLength;

/**
 * The hot path of validation: accepts a well-formed message of `type` and returns exactly what
 * the zod schema would, or null for anything else, which the caller then hands to zod for the
 * detailed errors. It must never accept what zod rejects (a differential test holds both to that);
 * it exists because the tracking API validates millions of messages and zod copies every one.
 */
export function quickParse(raw: Record<string, unknown>, type: TrackingMessageType): AnyTrackingMessage | null {
  const messageId = raw['messageId'];
  if (
    messageId !== undefined &&
    (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > TRACKING_LIMITS.maxMessageIdLength)
  )
    return null;
  const userId = optionalId(raw['userId']);
  const anonymousId = optionalId(raw['anonymousId']);
  const timestamp = optionalTime(raw['timestamp']);
  const originalTimestamp = optionalTime(raw['originalTimestamp']);
  const sentAt = optionalTime(raw['sentAt']);
  if (userId === INVALID || anonymousId === INVALID || timestamp === INVALID || originalTimestamp === INVALID || sentAt === INVALID)
    return null;
  const context = raw['context'];
  const integrations = raw['integrations'];
  const traits = raw['traits'];
  const properties = raw['properties'];
  if (!optionalObject(context) || !optionalObject(integrations)) return null;

  // One object shape for every type (fields a type does not have stay undefined), so the hot path
  // stays monomorphic.
  let event: string | undefined;
  let name: string | null | undefined;
  let category: string | null | undefined;
  let groupId: string | undefined;
  let previousId: string | undefined;
  switch (type) {
    case 'identify':
    case 'group': {
      if (!optionalObject(traits)) return null;
      if (type === 'group') {
        const id = requiredId(raw['groupId']);
        if (id === INVALID) return null;
        groupId = id;
      }
      break;
    }
    case 'track': {
      const value = raw['event'];
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX || !optionalObject(properties)) return null;
      event = value;
      break;
    }
    case 'page':
    case 'screen': {
      const rawName = raw['name'];
      const rawCategory = raw['category'];
      if (!optionalText(rawName) || !optionalText(rawCategory) || !optionalObject(properties)) return null;
      name = rawName as string | null | undefined;
      category = rawCategory as string | null | undefined;
      break;
    }
    case 'alias': {
      const id = requiredId(raw['previousId']);
      if (id === INVALID) return null;
      previousId = id;
      break;
    }
  }
  return {
    messageId: messageId as string | undefined,
    userId,
    anonymousId,
    timestamp,
    originalTimestamp,
    sentAt,
    context: context as Record<string, unknown> | null | undefined,
    integrations: integrations as Record<string, unknown> | null | undefined,
    traits: type === 'identify' || type === 'group' ? (traits as Record<string, unknown> | null | undefined) : undefined,
    properties:
      type === 'track' || type === 'page' || type === 'screen' ? (properties as Record<string, unknown> | null | undefined) : undefined,
    event,
    name,
    category,
    groupId,
    previousId,
  };
}

const INVALID = Symbol('invalid');

function optionalText(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.length <= MAX);
}

function optionalId(value: unknown): string | null | undefined | typeof INVALID {
  return value === undefined || value === null ? value : requiredId(value);
}

function requiredId(value: unknown): string | typeof INVALID {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  return text === undefined || text.length > MAX ? INVALID : text;
}

function optionalTime(value: unknown): Date | null | undefined | typeof INVALID {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') return INVALID;
  return parseIsoTimestamp(value) ?? INVALID;
}

function optionalObject(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value));
}
