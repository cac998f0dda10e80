import { createHash } from 'node:crypto';
import { TRACKING_LIMITS } from './limits';
import { batchEnvelopeSchema, TRACKING_MESSAGE_SCHEMAS, TRACKING_MESSAGE_TYPES, TrackingMessageType } from './tracking-message.schema';
import { MessageProblem, RejectedMessage, TrackingEvent } from './tracking-event';
import { AnyTrackingMessage, quickParse } from './quick-parse';
import { assertNever } from '@audiencekit/util';

export interface ParseContext {
  /** When the server received the request: the base of clock-skew correction. */
  receivedAt: Date;
  /** The batch's `sentAt`, used when a message has none. */
  batchSentAt?: Date | null;
  /** The batch's top-level context, under each message's own. */
  batchContext?: Record<string, unknown> | null;
  /**
   * Whether to measure the message against the 32 KB limit. A body no larger than the limit cannot
   * hold a larger message, so callers skip the re-serialisation then.
   */
  checkSize: boolean;
}

export type ParseResult = { ok: true; event: TrackingEvent } | { ok: false; errors: MessageProblem[]; messageId?: string };

/**
 * Validates one tracking message of a known type (the route's, or its own `type` in a batch) and
 * normalises it. Never throws on bad input: every problem is returned with the field's path.
 */
export function parseTrackingMessage(raw: unknown, type: TrackingMessageType, context: ParseContext): ParseResult {
  if (!isPlainObject(raw)) return { ok: false, errors: [{ path: '', message: 'a message must be a JSON object' }] };
  const messageId = typeof raw['messageId'] === 'string' ? raw['messageId'] : undefined;
  const fail = (errors: MessageProblem[]): ParseResult => ({ ok: false, errors, ...(messageId ? { messageId } : {}) });

  // Depth first: serialising an absurdly deep document to measure it would exhaust the stack.
  sizeBound = 0;
  const structural = inspectValues(raw);
  if (structural) return fail([structural]);
  // The walk also bounds the message's JSON size from above; only a message whose bound passes
  // the limit is serialised to measure it exactly.
  if (context.checkSize && sizeBound > TRACKING_LIMITS.maxMessageBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(raw), 'utf8');
    if (bytes > TRACKING_LIMITS.maxMessageBytes)
      return fail([{ path: '', message: `message is ${bytes} bytes; at most ${TRACKING_LIMITS.maxMessageBytes} (32 KB) are accepted` }]);
  }

  let message = quickParse(raw, type);
  if (!message) {
    const parsed = TRACKING_MESSAGE_SCHEMAS[type].safeParse(raw);
    if (!parsed.success)
      return fail(parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })));
    message = parsed.data as AnyTrackingMessage;
  }
  const userId = message.userId || null;
  const anonymousId = message.anonymousId || null;
  if (type === 'alias' && !userId) return fail([{ path: 'userId', message: 'alias needs the userId that previousId becomes' }]);
  if (!userId && !anonymousId) return fail([{ path: 'userId', message: 'userId or anonymousId is required' }]);

  // The message's own context object when there is no batch context to lay under it (no copy).
  const messageContext = context.batchContext ? { ...context.batchContext, ...message.context } : (message.context ?? null);
  const contextTraits = isPlainObject(messageContext?.['traits']) ? (messageContext['traits'] as Record<string, unknown>) : null;
  const shape = shapeByType(message as TypedMessage, type, contextTraits);
  return {
    ok: true,
    event: {
      messageId: messageId ?? deriveMessageId(raw),
      type,
      name: shape.name,
      timestamp: eventTime(message, context),
      receivedAt: context.receivedAt,
      properties: shape.properties,
      context: messageContext,
      userId,
      anonymousId,
      previousId: shape.previousId,
      traits: shape.traits,
      personTraits: shape.personTraits,
    },
  };
}

export interface ParsedBatch {
  events: TrackingEvent[];
  /** Per event, its index in the batch (for rejections made later, when storing). */
  eventIndexes: number[];
  rejected: RejectedMessage[];
}

export type BatchParseResult = { ok: true; batch: ParsedBatch } | { ok: false; errors: MessageProblem[] };

/**
 * Validates a batch body (`{ batch: [...], sentAt?, context? }`). The envelope must be right and
 * hold at most 2,500 messages; each message is then judged alone: valid ones are returned for
 * storage, invalid ones are reported with their index and reasons.
 */
export function parseTrackingBatch(body: unknown, context: Omit<ParseContext, 'batchSentAt' | 'batchContext'>): BatchParseResult {
  const envelope = batchEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    return {
      ok: false,
      errors: envelope.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    };
  }
  const { batch, sentAt, context: batchContext } = envelope.data;
  if (batch.length > TRACKING_LIMITS.maxBatchMessages) {
    return {
      ok: false,
      errors: [
        { path: 'batch', message: `holds ${batch.length} messages; at most ${TRACKING_LIMITS.maxBatchMessages} are accepted per batch` },
      ],
    };
  }
  // The batch context is laid under every message's own, so it obeys the same rules (depth, NUL,
  // unpaired surrogates): otherwise Postgres refuses the stored context and the request fails whole.
  const contextProblem = batchContext ? inspect(batchContext, 1) : null;
  if (contextProblem) return { ok: false, errors: [{ path: 'context', message: contextProblem }] };
  const batchSentAt = typeof sentAt === 'string' ? parseIsoDate(sentAt) : null;
  const events: TrackingEvent[] = [];
  const eventIndexes: number[] = [];
  const rejected: RejectedMessage[] = [];
  // One context for every message (not a copy per message: the hot path allocates what it must only).
  const messageContext: ParseContext = { ...context, batchSentAt, batchContext };
  batch.forEach((raw, index) => {
    const type = isPlainObject(raw) ? raw['type'] : undefined;
    if (typeof type !== 'string' || !(TRACKING_MESSAGE_TYPES as readonly string[]).includes(type)) {
      const messageId = isPlainObject(raw) && typeof raw['messageId'] === 'string' ? raw['messageId'] : undefined;
      const message = isPlainObject(raw) ? `must be one of ${TRACKING_MESSAGE_TYPES.join(', ')}` : 'a message must be a JSON object';
      rejected.push({ index, ...(messageId ? { messageId } : {}), errors: [{ path: isPlainObject(raw) ? 'type' : '', message }] });
      return;
    }
    const result = parseTrackingMessage(raw, type as TrackingMessageType, messageContext);
    if (result.ok) {
      events.push(result.event);
      eventIndexes.push(index);
    } else rejected.push({ index, ...(result.messageId ? { messageId: result.messageId } : {}), errors: result.errors });
  });
  return { ok: true, batch: { events, eventIndexes, rejected } };
}

type TypedMessage = {
  event?: string;
  name?: string | null;
  category?: string | null;
  properties?: Record<string, unknown> | null;
  traits?: Record<string, unknown> | null;
  groupId?: string;
  previousId?: string;
};

interface Shape {
  name: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown> | null;
  personTraits: Record<string, unknown> | null;
  previousId: string | null;
}

// Every shape is written out as a full literal in one field order: spreading a shared base object
// per message (`{ ...none, name }`) was the parser's single most expensive line.
function shapeByType(message: TypedMessage, type: TrackingMessageType, contextTraits: Record<string, unknown> | null): Shape {
  switch (type) {
    case 'identify': {
      // RudderStack copies identify traits into context.traits too; Segment sends them in traits.
      const traits = message.traits ?? contextTraits ?? {};
      return { name: null, properties: traits, traits, personTraits: traits, previousId: null };
    }
    case 'track':
      return {
        name: message.event ?? null,
        properties: message.properties ?? {},
        traits: null,
        personTraits: contextTraits,
        previousId: null,
      };
    case 'page':
    case 'screen': {
      const properties = message.properties ?? {};
      return {
        name: message.name ?? null,
        properties: message.category && !('category' in properties) ? { ...properties, category: message.category } : properties,
        traits: null,
        personTraits: contextTraits,
        previousId: null,
      };
    }
    case 'group':
      return {
        name: null,
        properties: { groupId: message.groupId, traits: message.traits ?? {} },
        traits: null,
        personTraits: contextTraits,
        previousId: null,
      };
    case 'alias':
      return {
        name: null,
        properties: { previousId: message.previousId },
        traits: null,
        personTraits: contextTraits,
        previousId: message.previousId ?? null,
      };
    default:
      return assertNever(type, 'message type');
  }
}

/**
 * Segment's rule: the client's `timestamp` when given; otherwise `originalTimestamp` corrected for
 * the device clock's skew (receivedAt − (sentAt − originalTimestamp)); otherwise the receipt time.
 * A time later than the receipt plus `maxFutureSkewMs` is clamped to that: a message dated in 9999
 * would otherwise win every later trait update and hold `last_seen_at` forever.
 */
function eventTime(
  message: { timestamp?: Date | null; originalTimestamp?: Date | null; sentAt?: Date | null },
  context: ParseContext,
): Date {
  const latest = context.receivedAt.getTime() + TRACKING_LIMITS.maxFutureSkewMs;
  const time = clientTime(message, context);
  return time.getTime() > latest ? new Date(latest) : time;
}

function clientTime(
  message: { timestamp?: Date | null; originalTimestamp?: Date | null; sentAt?: Date | null },
  context: ParseContext,
): Date {
  if (message.timestamp) return message.timestamp;
  const sentAt = message.sentAt ?? context.batchSentAt;
  if (message.originalTimestamp && sentAt)
    return new Date(context.receivedAt.getTime() - (sentAt.getTime() - message.originalTimestamp.getTime()));
  return message.originalTimestamp ?? context.receivedAt;
}

/** A message without messageId gets one from its content, so a client's retry of it still dedupes. */
function deriveMessageId(raw: Record<string, unknown>): string {
  const { sentAt: _sentAt, ...content } = raw;
  return `ak-${createHash('sha256').update(JSON.stringify(content)).digest('base64url')}`;
}

function parseIsoDate(text: string): Date | null {
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time);
}

/**
 * Checks what the schema cannot see: nesting deeper than the limit, and strings Postgres cannot
 * store in jsonb (NUL characters, unpaired UTF-16 surrogates). Returns the first problem found.
 * Recursion stops at the depth limit, so a hostile 100,000-level document cannot exhaust the stack.
 */
// Upper bound of the UTF-8 JSON size of the message being inspected: a UTF-16 unit is at most 3
// bytes of UTF-8 or 6 characters of escape (\u00XX); numbers at most 24 characters; plus quotes,
// colons, commas and brackets. Module state so the hot path allocates nothing.
let sizeBound = 0;

function inspectValues(message: Record<string, unknown>): MessageProblem | null {
  sizeBound = 2;
  for (const key in message) {
    sizeBound += key.length * 6 + 4;
    const problem = inspect(message[key], 1);
    if (problem) return { path: key, message: problem };
  }
  return null;
}

function inspect(value: unknown, depth: number): string | null {
  if (typeof value === 'string') {
    sizeBound += value.length * 6 + 2;
    return unstorable(value);
  }
  if (typeof value !== 'object' || value === null) {
    sizeBound += 24;
    return null;
  }
  if (depth > TRACKING_LIMITS.maxNestingDepth) return `nests deeper than ${TRACKING_LIMITS.maxNestingDepth} levels`;
  sizeBound += 2;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      sizeBound += 1;
      const problem = inspect(value[index], depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    sizeBound += key.length * 6 + 4;
    const problem = unstorable(key) ?? inspect(object[key], depth + 1);
    if (problem) return problem;
  }
  return null;
}

function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return 'contains an unpaired UTF-16 surrogate, which cannot be stored';
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
