import { parseIsoTimestamp, parseTrackingBatch, parseTrackingMessage, ParseContext, TRACKING_LIMITS } from '../index';

const context: ParseContext = { receivedAt: new Date('2024-05-01T12:00:00.000Z'), checkSize: true };
const parse = (type: Parameters<typeof parseTrackingMessage>[1], message: unknown) => parseTrackingMessage(message, type, context);
const errorsOf = (result: ReturnType<typeof parse>) => (result.ok ? [] : result.errors);

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 0; level < depth; level++) value = { inner: value };
  return value;
}

describe('parseTrackingMessage', () => {
  it('normalises a track call', () => {
    const result = parse('track', {
      messageId: 'm1',
      userId: 42,
      event: 'Order Completed',
      properties: { revenue: 9.5 },
      timestamp: '2024-05-01T10:00:00+02:00',
      context: { ip: '1.2.3.4' },
    });
    expect(result).toEqual({
      ok: true,
      event: {
        messageId: 'm1',
        type: 'track',
        name: 'Order Completed',
        timestamp: new Date('2024-05-01T08:00:00.000Z'),
        receivedAt: context.receivedAt,
        properties: { revenue: 9.5 },
        context: { ip: '1.2.3.4' },
        userId: '42',
        anonymousId: null,
        previousId: null,
        traits: null,
        personTraits: null,
      },
    });
  });

  it("reads identify traits (or RudderStack's context.traits) as the person's traits", () => {
    const segment = parse('identify', { userId: 'u', traits: { email: 'a@b.io' } });
    const rudder = parse('identify', { userId: 'u', context: { traits: { email: 'c@d.io' } } });
    expect(segment.ok && segment.event.traits).toEqual({ email: 'a@b.io' });
    expect(rudder.ok && rudder.event.personTraits).toEqual({ email: 'c@d.io' });
  });

  it("never reads a group call's traits as the person's", () => {
    const result = parse('group', { userId: 'u', groupId: 'g1', traits: { email: 'team@corp.io' } });
    expect(result.ok && result.event).toMatchObject({
      personTraits: null,
      traits: null,
      properties: { groupId: 'g1', traits: { email: 'team@corp.io' } },
    });
  });

  it('keeps page name and category', () => {
    const result = parse('page', { anonymousId: 'a', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } });
    expect(result.ok && result.event).toMatchObject({ name: 'Pricing', properties: { path: '/pricing', category: 'Docs' } });
  });

  it('requires userId or anonymousId', () => {
    expect(errorsOf(parse('track', { event: 'x' }))).toEqual([{ path: 'userId', message: 'userId or anonymousId is required' }]);
    expect(errorsOf(parse('track', { event: 'x', userId: '', anonymousId: null }))).toEqual([
      { path: 'userId', message: 'userId or anonymousId is required' },
    ]);
  });

  it('requires userId and previousId on alias', () => {
    expect(errorsOf(parse('alias', { anonymousId: 'a', previousId: 'p' }))).toEqual([
      { path: 'userId', message: 'alias needs the userId that previousId becomes' },
    ]);
    expect(errorsOf(parse('alias', { userId: 'u' })).map((error) => error.path)).toEqual(['previousId']);
  });

  it('names each wrongly typed field', () => {
    const errors = errorsOf(parse('track', { userId: { id: 1 }, event: 7, properties: [1, 2], context: 'web' }));
    expect(errors.map((error) => error.path).sort()).toEqual(['context', 'event', 'properties', 'userId']);
    expect(errors.find((error) => error.path === 'properties')?.message).toBe('must be a JSON object');
  });

  it.each(['yesterday', '2024-13-01T00:00:00Z', '2024-05-01T25:00:00Z', '1714550400', ''])('rejects the timestamp %p', (timestamp) => {
    expect(errorsOf(parse('track', { userId: 'u', event: 'x', timestamp }))).toEqual([
      { path: 'timestamp', message: expect.stringMatching(/ISO 8601/) },
    ]);
  });

  // The canonical form (`toISOString()`) takes a fast path: it must judge exactly as the general rule.
  it.each([
    '2024-00-10T10:00:00.000Z',
    '2024-13-10T10:00:00.000Z',
    '2024-05-00T10:00:00.000Z',
    '2024-05-32T10:00:00.000Z',
    '2024-05-10T24:00:00.000Z',
    '2024-05-10T10:60:00.000Z',
  ])('rejects the out-of-range canonical timestamp %p', (timestamp) => {
    expect(parseIsoTimestamp(timestamp)).toBeNull();
  });

  it('reads canonical timestamps as Date.parse does', () => {
    for (const timestamp of ['2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z', '2024-02-29T12:30:45.123Z']) {
      expect(parseIsoTimestamp(timestamp)?.getTime()).toBe(Date.parse(timestamp));
    }
  });

  it('reads a timestamp without offset as UTC', () => {
    expect(parseIsoTimestamp('2011-12-09 12:50:00')?.toISOString()).toBe('2011-12-09T12:50:00.000Z');
    expect(parseIsoTimestamp('2024-05-01')?.toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });

  it('corrects a device clock from originalTimestamp and sentAt, as Segment does', () => {
    // The device clock is 1 hour behind: it sent at 10:00 (device) what happened at 09:59 (device); we received at 12:00.
    const result = parse('track', { userId: 'u', event: 'x', originalTimestamp: '2024-05-01T09:59:00Z', sentAt: '2024-05-01T10:00:00Z' });
    expect(result.ok && result.event.timestamp.toISOString()).toBe('2024-05-01T11:59:00.000Z');
  });

  it('clamps a time past the receipt plus the allowed skew (a client clock in 9999 must not pin traits)', () => {
    const latest = new Date(context.receivedAt.getTime() + TRACKING_LIMITS.maxFutureSkewMs);
    const at = (message: Record<string, unknown>) => {
      const result = parse('identify', { userId: 'u', ...message });
      return result.ok ? result.event.timestamp.toISOString() : undefined;
    };
    expect(TRACKING_LIMITS.maxFutureSkewMs).toBe(5 * 60 * 1000);
    expect(at({ timestamp: '9999-12-31T23:59:59Z' })).toBe(latest.toISOString());
    expect(at({ originalTimestamp: '9999-12-31T23:59:59Z' })).toBe(latest.toISOString());
    // sentAt in the past, originalTimestamp far ahead of it: the correction lands in the future, clamped too.
    expect(at({ originalTimestamp: '2024-05-02T12:00:00Z', sentAt: '2024-05-01T12:00:00Z' })).toBe(latest.toISOString());
    // Within the skew: kept as sent.
    expect(at({ timestamp: '2024-05-01T12:04:00Z' })).toBe('2024-05-01T12:04:00.000Z');
  });

  it('rejects properties nested deeper than the limit, without exhausting the stack on absurd depths', () => {
    expect(parse('track', { userId: 'u', event: 'x', properties: nested(TRACKING_LIMITS.maxNestingDepth - 2) }).ok).toBe(true);
    const message = `nests deeper than ${TRACKING_LIMITS.maxNestingDepth} levels`;
    expect(errorsOf(parse('track', { userId: 'u', event: 'x', properties: nested(TRACKING_LIMITS.maxNestingDepth) }))).toEqual([
      { path: 'properties', message },
    ]);
    const absurd = JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
    expect(errorsOf(parse('track', { userId: 'u', event: 'x', properties: absurd }))).toEqual([{ path: 'properties', message }]);
  });

  it('rejects a message over 32 KB', () => {
    const big = parse('track', { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(TRACKING_LIMITS.maxMessageBytes) } });
    expect(errorsOf(big)).toEqual([{ path: '', message: expect.stringMatching(/at most 32768 \(32 KB\)/) }]);
  });

  it('measures exactly when the quick bound is not enough: a 20 KB message of plain text passes', () => {
    expect(parse('track', { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(20_000) } }).ok).toBe(true);
    expect(parse('track', { userId: 'u', event: 'x', properties: { blob: 'é'.repeat(16_400) } }).ok).toBe(false);
  });

  it('rejects strings Postgres cannot store', () => {
    expect(errorsOf(parse('track', { userId: 'u', event: 'x', properties: { note: 'a\u0000b' } }))[0].message).toMatch(/NUL/);
    expect(errorsOf(parse('track', { userId: 'u', event: 'x', properties: { ['\ud800']: 1 } }))[0].message).toMatch(/surrogate/);
  });

  it('derives a messageId from the content when the client sends none, ignoring sentAt (retries resend it changed)', () => {
    const first = parse('track', { userId: 'u', event: 'x', timestamp: '2024-05-01T00:00:00Z', sentAt: '2024-05-01T00:00:01Z' });
    const retry = parse('track', { userId: 'u', event: 'x', timestamp: '2024-05-01T00:00:00Z', sentAt: '2024-05-01T00:05:00Z' });
    const other = parse('track', { userId: 'u', event: 'y', timestamp: '2024-05-01T00:00:00Z' });
    expect(first.ok && retry.ok && other.ok).toBe(true);
    if (first.ok && retry.ok && other.ok) {
      expect(first.event.messageId).toBe(retry.event.messageId);
      expect(first.event.messageId).not.toBe(other.event.messageId);
    }
  });
});

describe('parseTrackingBatch', () => {
  const batchContext = { receivedAt: context.receivedAt, checkSize: true };

  it('rejects the whole batch when its top-level context breaks a message rule, naming `context`', () => {
    const deep = JSON.parse('{"a":'.repeat(TRACKING_LIMITS.maxNestingDepth + 1) + '1' + '}'.repeat(TRACKING_LIMITS.maxNestingDepth + 1));
    const batch = [{ type: 'track', userId: 'u', event: 'x' }];
    expect(parseTrackingBatch({ batch, context: deep }, batchContext)).toEqual({
      ok: false,
      errors: [{ path: 'context', message: `nests deeper than ${TRACKING_LIMITS.maxNestingDepth} levels` }],
    });
    expect(parseTrackingBatch({ batch, context: { page: { title: 'a\u0000b' } } }, batchContext)).toMatchObject({
      ok: false,
      errors: [{ path: 'context', message: expect.stringMatching(/NUL/) }],
    });
    expect(parseTrackingBatch({ batch, context: { ['\ud800']: 1 } }, batchContext)).toMatchObject({
      ok: false,
      errors: [{ path: 'context', message: expect.stringMatching(/surrogate/) }],
    });
  });

  it('keeps valid messages and reports invalid ones with their index and reasons', () => {
    const result = parseTrackingBatch(
      {
        batch: [
          { type: 'track', userId: 'u', event: 'ok' },
          { type: 'track', event: 'no ids', messageId: 'bad-1' },
          { type: 'fly', userId: 'u' },
          'not an object',
          { type: 'identify', anonymousId: 'a', timestamp: 'soon' },
        ],
        context: { library: { name: 'test' } },
      },
      batchContext,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.batch.events.map((event) => event.name)).toEqual(['ok']);
    expect(result.batch.events[0].context).toEqual({ library: { name: 'test' } });
    expect(result.batch.rejected).toEqual([
      { index: 1, messageId: 'bad-1', errors: [{ path: 'userId', message: 'userId or anonymousId is required' }] },
      { index: 2, errors: [{ path: 'type', message: 'must be one of identify, track, page, screen, group, alias' }] },
      { index: 3, errors: [{ path: '', message: 'a message must be a JSON object' }] },
      { index: 4, errors: [{ path: 'timestamp', message: expect.stringMatching(/ISO 8601/) }] },
    ]);
  });

  it('rejects a wrong envelope and a batch of more than 2,500 messages', () => {
    expect(parseTrackingBatch({ batch: {} }, batchContext)).toEqual({
      ok: false,
      errors: [{ path: 'batch', message: 'must be an array of messages' }],
    });
    expect(parseTrackingBatch([], batchContext).ok).toBe(false);
    const tooMany = parseTrackingBatch(
      { batch: Array.from({ length: 2_501 }, () => ({ type: 'track', userId: 'u', event: 'x' })) },
      batchContext,
    );
    expect(tooMany).toEqual({
      ok: false,
      errors: [{ path: 'batch', message: 'holds 2501 messages; at most 2500 are accepted per batch' }],
    });
  });

  it('uses the batch sentAt for clock-skew correction', () => {
    const result = parseTrackingBatch(
      { batch: [{ type: 'track', userId: 'u', event: 'x', originalTimestamp: '2024-05-01T09:00:00Z' }], sentAt: '2024-05-01T09:00:30Z' },
      batchContext,
    );
    expect(result.ok && result.batch.events[0].timestamp.toISOString()).toBe('2024-05-01T11:59:30.000Z');
  });
});
