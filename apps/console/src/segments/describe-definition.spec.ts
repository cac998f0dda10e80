import { describeRules } from './describe-definition';

const lineOf = (node: Record<string, unknown>) => describeRules(node as { type: string })[0].text;

describe('each new condition in plain words', () => {
  it.each([
    [
      {
        type: 'sequence',
        steps: [
          { event: 'Page Viewed', where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }] },
          { event: 'Demo Requested' },
        ],
        within: '7d',
        window: 'last 30 days',
      },
      'did “Page Viewed” where path starts with “/pricing”, then “Demo Requested”, all within 7d, in the last 30 days',
    ],
    [
      { type: 'first_time', event: 'Order Completed', window: 'last 7 days' },
      'did “Order Completed” for the first time in the last 7 days',
    ],
    [
      { type: 'stopped', event: 'Order Completed', active: '60d', quiet: '30d' },
      'stopped doing “Order Completed”: did it in the 60d before the last 30d, not since',
    ],
    [
      { type: 'regularly', event: 'Page Viewed', window: 'last 28 days', per: 'week', atLeast: 3 },
      'did “Page Viewed” on at least 3 distinct weeks in the last 28 days',
    ],
    [{ type: 'computed_trait', key: 'spend_90d', operator: 'gte', value: 100 }, 'computed trait spend_90d ≥ 100'],
    [
      {
        type: 'event',
        messageType: 'page',
        window: 'last 30 days',
        where: [{ context: 'page.path', operator: 'starts_with', value: '/pricing' }],
      },
      'did any page where context page.path starts with “/pricing” in the last 30 days',
    ],
    [
      {
        type: 'event',
        event: 'Order Completed',
        window: 'last 30 days',
        where: [{ near: { latitude: 48.1374, longitude: 11.5755, km: 50 } }],
      },
      'did “Order Completed” where within 50 km of 48.1374, 11.5755 in the last 30 days',
    ],
    [
      {
        type: 'location',
        country: ['DE', 'AT'],
        postalCode: ['10', '80'],
        near: { latitude: 52.52, longitude: 13.405, km: 25 },
        window: 'last 90 days',
      },
      'last known location: country is one of “DE” and “AT”, postal code starts with “10” or “80”, within 25 km of 52.52, 13.405 (seen in the last 90 days)',
    ],
  ])('%j', (node, text) => {
    expect(lineOf(node)).toBe(text);
  });
});
