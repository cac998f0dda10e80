import { lcgAnsiC } from '@audiencekit/testing';
import { quickParse } from '../quick-parse';
import { TRACKING_MESSAGE_SCHEMAS, TRACKING_MESSAGE_TYPES, TrackingMessageType } from '../tracking-message.schema';

// The fast validator must never accept what the zod schema rejects, and must return what zod
// returns when it accepts. Random messages mix valid and invalid values for every field.

const CANDIDATES: Record<string, unknown[]> = {
  messageId: [undefined, 'm-1', '', 'x'.repeat(100), 'x'.repeat(101), 7, null],
  userId: [undefined, null, 'u-1', '', 42, 1.5, Number.NaN, 'x'.repeat(512), 'x'.repeat(513), { id: 1 }, true],
  anonymousId: [undefined, null, 'a-1', '', 0, ['a']],
  timestamp: [undefined, null, '2024-05-01T10:00:00Z', '2024-05-01 10:00:00', '2024-05-01', 'soon', '2024-13-01T00:00:00Z', 1714550400, ''],
  originalTimestamp: [undefined, '2024-05-01T10:00:00.123+02:00', 'bad'],
  sentAt: [undefined, null, '2024-05-01T10:00:00Z', 5],
  context: [undefined, null, {}, { traits: { email: 'a@b.io' } }, [], 'web'],
  integrations: [undefined, { All: true }, 'all'],
  traits: [undefined, null, { plan: 'pro' }, [1], 'x'],
  properties: [undefined, null, { revenue: 1 }, [], 3],
  event: [undefined, 'Order Completed', '', 'x'.repeat(513), 12],
  name: [undefined, null, 'Home', 'x'.repeat(513), 3],
  category: [undefined, 'Docs', {}],
  groupId: [undefined, 'g-1', 9, null, {}],
  previousId: [undefined, 'p-1', 3, null, []],
};

function randomMessage(next: () => number): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  for (const [field, values] of Object.entries(CANDIDATES)) {
    // Mostly valid values, so both acceptance and rejection are exercised.
    const value =
      next() < 0.6 ? values[Math.min(2, values.length - 1) - Math.floor(next() * 2)] : values[Math.floor(next() * values.length)];
    if (value !== undefined) message[field] = value;
  }
  return message;
}

describe('quickParse agrees with the zod schemas', () => {
  it.each(TRACKING_MESSAGE_TYPES.map((type) => [type]))('%s', (type) => {
    const next = lcgAnsiC(TRACKING_MESSAGE_TYPES.indexOf(type as TrackingMessageType) + 1);
    let accepted = 0;
    for (let n = 0; n < 10_000; n++) {
      const message = randomMessage(next);
      const quick = quickParse(message, type as TrackingMessageType);
      const reference = TRACKING_MESSAGE_SCHEMAS[type as TrackingMessageType].safeParse(message);
      if (quick === null) continue;
      accepted += 1;
      expect({ message, zodAccepts: reference.success }).toEqual({ message, zodAccepts: true });
      const defined = Object.fromEntries(Object.entries(quick).filter(([, value]) => value !== undefined));
      expect(defined).toEqual(Object.fromEntries(Object.entries(reference.data as object).filter(([, value]) => value !== undefined)));
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('takes the fast path for the messages real clients send', () => {
    const message = {
      type: 'track',
      messageId: 'm',
      userId: 'u',
      anonymousId: 'a',
      event: 'x',
      properties: { a: 1 },
      timestamp: '2024-05-01T10:00:00.000Z',
      context: { library: { name: 'analytics-node' } },
      integrations: {},
      _metadata: {},
    };
    expect(quickParse(message, 'track')).not.toBeNull();
  });
});
