/**
 * SendGrid Event Webhook events → our tracking events (names documented in the README). Pure.
 * Reference: SendGrid "Event Webhook Reference" (delivery events: processed, dropped, delivered,
 * deferred, bounce; engagement events: open, click, spamreport, unsubscribe, group_unsubscribe,
 * group_resubscribe). Unique/custom args of the message are top-level keys of each event.
 */
export const SENDGRID_EVENT_NAMES: Readonly<Record<string, string>> = {
  delivered: 'Email Delivered',
  open: 'Email Opened',
  click: 'Email Clicked',
  bounce: 'Email Bounced',
  dropped: 'Email Dropped',
  deferred: 'Email Deferred',
  spamreport: 'Email Marked as Spam',
  unsubscribe: 'Email Unsubscribed',
  group_unsubscribe: 'Email Unsubscribed',
};

/** Events that put the address on the suppression list for the email channel. */
export const SENDGRID_SUPPRESSING_EVENTS: ReadonlySet<string> = new Set(['bounce', 'spamreport', 'unsubscribe', 'group_unsubscribe']);

/** The custom arg the sendgrid-email connector puts on every personalization (plugins/sendgrid). */
export const SENDGRID_DELIVERY_KEY_ARG = 'ak_delivery_key';

export interface SendgridEvent {
  event: string;
  email: string;
  sgEventId: string;
  timestamp: Date;
  deliveryKey: string | null;
  /** What we keep of the event as properties (no raw IP or user agent: see README). */
  properties: Record<string, unknown>;
}

export type ParsedSendgridBody =
  { ok: true; events: SendgridEvent[]; ignored: number } | { ok: false; details: { path: string; message: string }[] };

const MAX_EVENTS = 10_000;

/**
 * Reads the body SendGrid posts: a JSON array of event objects. An event of a type we do not map
 * (processed, group_resubscribe, a future one) is counted as ignored, not refused: SendGrid retries
 * whole posts that are not answered 2xx. An event we map but that lacks `email`, `sg_event_id` or a
 * numeric `timestamp` makes the post a 400 naming it (nothing stored).
 */
export function parseSendgridEvents(text: string): ParsedSendgridBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, details: [{ path: 'body', message: 'is not JSON' }] };
  }
  if (!Array.isArray(body)) return { ok: false, details: [{ path: 'body', message: 'must be a JSON array of events' }] };
  if (body.length > MAX_EVENTS) return { ok: false, details: [{ path: 'body', message: `holds more than ${MAX_EVENTS} events` }] };
  const events: SendgridEvent[] = [];
  const details: { path: string; message: string }[] = [];
  let ignored = 0;
  body.forEach((raw: unknown, index) => {
    const at = (field: string) => `body[${index}]${field ? `.${field}` : ''}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      details.push({ path: at(''), message: 'must be an event object' });
      return;
    }
    const item = raw as Record<string, unknown>;
    if (typeof item['event'] !== 'string') {
      details.push({ path: at('event'), message: 'must be a string' });
      return;
    }
    if (!(item['event'] in SENDGRID_EVENT_NAMES)) {
      ignored += 1;
      return;
    }
    const problems: string[] = [];
    if (typeof item['email'] !== 'string' || item['email'] === '') problems.push('email');
    if (typeof item['sg_event_id'] !== 'string' || item['sg_event_id'] === '' || item['sg_event_id'].length > 100)
      problems.push('sg_event_id');
    if (typeof item['timestamp'] !== 'number' || !Number.isFinite(item['timestamp'])) problems.push('timestamp');
    for (const field of problems)
      details.push({ path: at(field), message: field === 'timestamp' ? 'must be Unix seconds' : 'must be a non-empty string' });
    if (problems.length > 0) return;
    const deliveryKey = item[SENDGRID_DELIVERY_KEY_ARG];
    events.push({
      event: item['event'],
      email: item['email'] as string,
      sgEventId: item['sg_event_id'] as string,
      timestamp: new Date((item['timestamp'] as number) * 1000),
      deliveryKey: typeof deliveryKey === 'string' && deliveryKey !== '' ? deliveryKey : null,
      properties: propertiesOf(item),
    });
  });
  return details.length > 0 ? { ok: false, details } : { ok: true, events, ignored };
}

const KEPT = [
  'sg_message_id',
  'sg_event_id',
  'url',
  'reason',
  'status',
  'type',
  'bounce_classification',
  'asm_group_id',
  'category',
  'attempt',
  'response',
] as const;

function propertiesOf(item: Record<string, unknown>): Record<string, unknown> {
  const properties: Record<string, unknown> = { vendor: 'sendgrid', sendgridEvent: item['event'] };
  for (const field of KEPT) if (item[field] !== undefined) properties[camel(field)] = item[field];
  return properties;
}

const camel = (field: string) => field.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase());
