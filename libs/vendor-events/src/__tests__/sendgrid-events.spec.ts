import { parseSendgridEvents } from '../sendgrid-events';

const event = (overrides: Record<string, unknown> = {}) => ({
  email: 'ann@example.com',
  timestamp: 1_700_000_000,
  event: 'click',
  sg_event_id: 'ZXZlbnQtMQ',
  sg_message_id: 'msg.filter',
  url: 'https://example.com/a',
  ak_delivery_key: 'k-1',
  useragent: 'Mozilla',
  ip: '203.0.113.9',
  ...overrides,
});

describe('parseSendgridEvents', () => {
  it('maps each documented event to our name, keeps the delivery key and a few properties (no IP, no user agent)', () => {
    const parsed = parseSendgridEvents(JSON.stringify([event()]));
    expect(parsed).toEqual({
      ok: true,
      ignored: 0,
      events: [
        {
          event: 'click',
          email: 'ann@example.com',
          sgEventId: 'ZXZlbnQtMQ',
          timestamp: new Date(1_700_000_000_000),
          deliveryKey: 'k-1',
          properties: {
            vendor: 'sendgrid',
            sendgridEvent: 'click',
            sgMessageId: 'msg.filter',
            sgEventId: 'ZXZlbnQtMQ',
            url: 'https://example.com/a',
          },
        },
      ],
    });
  });

  it.each([
    ['delivered', 'Email Delivered'],
    ['open', 'Email Opened'],
    ['click', 'Email Clicked'],
    ['bounce', 'Email Bounced'],
    ['dropped', 'Email Dropped'],
    ['deferred', 'Email Deferred'],
    ['spamreport', 'Email Marked as Spam'],
    ['unsubscribe', 'Email Unsubscribed'],
    ['group_unsubscribe', 'Email Unsubscribed'],
  ])('%s is recorded', (name) => {
    const parsed = parseSendgridEvents(JSON.stringify([event({ event: name })]));
    expect(parsed.ok && parsed.events.map((item) => item.event)).toEqual([name]);
  });

  it('ignores events it does not record (processed, group_resubscribe) rather than refusing the post', () => {
    expect(parseSendgridEvents(JSON.stringify([event({ event: 'processed' }), event({ event: 'group_resubscribe' })]))).toEqual({
      ok: true,
      events: [],
      ignored: 2,
    });
  });

  it('refuses a body that is not a JSON array of events, naming the field', () => {
    expect(parseSendgridEvents('not json')).toEqual({ ok: false, details: [{ path: 'body', message: 'is not JSON' }] });
    expect(parseSendgridEvents('{"event":"open"}')).toEqual({
      ok: false,
      details: [{ path: 'body', message: 'must be a JSON array of events' }],
    });
    expect(
      parseSendgridEvents(
        JSON.stringify([event(), 3, event({ event: 7 }), event({ email: '', sg_event_id: undefined, timestamp: '2020' })]),
      ),
    ).toEqual({
      ok: false,
      details: [
        { path: 'body[1]', message: 'must be an event object' },
        { path: 'body[2].event', message: 'must be a string' },
        { path: 'body[3].email', message: 'must be a non-empty string' },
        { path: 'body[3].sg_event_id', message: 'must be a non-empty string' },
        { path: 'body[3].timestamp', message: 'must be Unix seconds' },
      ],
    });
  });
});
