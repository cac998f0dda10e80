import { playsKeyPrefix, quadrantCadence, quadrantSegments } from './play-quadrants';
import { winBackDefinition, winBackGoalDays } from './win-back-journey';

describe('plays in one step: pure parts (issue #23)', () => {
  it('builds the four quadrants from membership and its negation', () => {
    const quadrants = quadrantSegments({ key: 'cart', name: 'Cart' }, { key: 'vip', name: 'VIP' }, 'cart_x_vip');
    expect(quadrants.map((quadrant) => [quadrant.key, quadrant.definition.match.conditions])).toEqual([
      [
        'cart_x_vip_hi_hv',
        [
          { type: 'segment', segment: 'cart' },
          { type: 'segment', segment: 'vip' },
        ],
      ],
      [
        'cart_x_vip_hi_lv',
        [
          { type: 'segment', segment: 'cart' },
          { type: 'not', condition: { type: 'segment', segment: 'vip' } },
        ],
      ],
      [
        'cart_x_vip_li_hv',
        [
          { type: 'not', condition: { type: 'segment', segment: 'cart' } },
          { type: 'segment', segment: 'vip' },
        ],
      ],
      [
        'cart_x_vip_li_lv',
        [
          { type: 'not', condition: { type: 'segment', segment: 'cart' } },
          { type: 'not', condition: { type: 'segment', segment: 'vip' } },
        ],
      ],
    ]);
  });

  it.each([
    ['high-intent', 'vip', 'high_intent_x_vip'],
    ['9lives', 'VIP', 'p_9lives_x_vip'],
    ['a-very-long-segment-key-indeed', 'another-long-one-here', 'a_very_long_segmen_x_another_long_one_h'],
  ])('key prefix of %s × %s is %s', (intent, value, prefix) => {
    expect(playsKeyPrefix(intent, value)).toBe(prefix);
    expect(`${prefix}_winback`).toMatch(/^[a-z][a-z0-9_]{0,62}$/);
  });

  it.each([
    ['realtime', 'realtime', 'realtime'],
    ['realtime', '0 3 * * *', '0 3 * * *'],
    ['0 * * * *', 'realtime', '0 * * * *'],
    ['manual', '0 3 * * *', 'manual'],
  ])('cadence of %s × %s is %s', (intent, value, cadence) => {
    expect(quadrantCadence(intent, value)).toBe(cadence);
  });

  it('the win-back journey escalates three offers with waits; an email gets subjects, an SMS text only', () => {
    const base = {
      entrySegmentId: '00000000-0000-4000-8000-000000000000',
      destinationId: '00000000-0000-4000-8000-000000000001',
      offers: ['a', 'b', 'c'] as const,
      waitDays: 2,
      goal: { event: 'Order Completed', withinDays: winBackGoalDays(2) },
      holdoutShare: 0.1,
    };
    const email = winBackDefinition({ ...base, channel: 'email' });
    expect(email.steps.map((step) => step.id)).toEqual(['offer_1', 'wait_1', 'offer_2', 'wait_2', 'offer_3']);
    expect(email.steps[0]).toMatchObject({ type: 'send', message: { subject: 'a, just for you', text: 'We miss you! Come back for a.' } });
    expect(email.goal.withinDays).toBe(13);
    const sms = winBackDefinition({ ...base, channel: 'sms' });
    expect(sms.steps[4]).toMatchObject({ message: { text: 'We miss you! Come back for c.' } });
    expect(sms.steps[4]).not.toHaveProperty('message.subject');
  });
});
