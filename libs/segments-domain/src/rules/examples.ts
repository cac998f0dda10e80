import { SegmentDefinition } from './definition.schema';

/**
 * The seeds' own examples (../shared/DESIGN.md), written as definitions. They are tests
 * (examples.spec.ts and the e2e suite) and the demo data of `npm start`.
 */
export const EXAMPLE_SEGMENTS = {
  cartAbandoner: {
    key: 'cart-abandoner',
    name: 'Cart abandoner',
    description: 'Added a product in the last 7 days and completed no order in the last 7 days.',
    definition: {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'event', event: 'Product Added', window: 'last 7 days' },
          { type: 'event', event: 'Order Completed', window: 'last 7 days', count: { operator: 'exactly', value: 0 } },
        ],
      },
    },
  },
  vip: {
    key: 'vip',
    name: 'VIP',
    description: 'Lifetime revenue above 1,000 and a purchase in the last 90 days.',
    definition: {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          {
            type: 'event',
            event: 'Order Completed',
            window: 'ever',
            aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 1000 },
          },
          { type: 'event', event: 'Order Completed', window: 'last 90 days' },
        ],
      },
    },
  },
  winBack: {
    key: 'win-back-candidate',
    name: 'Win-back candidate',
    description: 'At least one purchase ever, and none in the last 180 days.',
    definition: {
      type: 'rules',
      // gte: the last purchase is at or before now − 180 days ⇔ none in the window (now − 180 days, now].
      match: { type: 'recency', event: 'Order Completed', operator: 'gte', days: 180 },
    },
  },
} as const satisfies Record<string, { key: string; name: string; description: string; definition: SegmentDefinition }>;

/**
 * Sequences and lifecycle conditions (issue 20), one example each. Not seeded by `npm start` (the
 * seed examples above stay as the design names them); they are golden-SQL and schema tests.
 */
export const LIFECYCLE_EXAMPLES = {
  pricingThenDemo: {
    key: 'pricing-then-demo',
    name: 'Pricing, then a demo request',
    description: 'Viewed the pricing page, then requested a demo within 7 days; started in the last 30 days.',
    definition: {
      type: 'rules',
      match: {
        type: 'sequence',
        steps: [
          { event: 'Page Viewed', where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }] },
          { event: 'Demo Requested' },
        ],
        within: '7d',
        window: 'last 30 days',
      },
    },
  },
  firstOrder: {
    key: 'first-order-this-week',
    name: 'First order this week',
    description: 'Completed an order for the first time ever in the last 7 days.',
    definition: { type: 'rules', match: { type: 'first_time', event: 'Order Completed', window: 'last 7 days' } },
  },
  lapsedBuyer: {
    key: 'lapsed-buyer',
    name: 'Lapsed buyer',
    description: 'Ordered in the 60 days before the last 30, and not in the last 30 days.',
    definition: { type: 'rules', match: { type: 'stopped', event: 'Order Completed', active: '60d', quiet: '30d' } },
  },
  weeklyVisitor: {
    key: 'weekly-visitor',
    name: 'Weekly visitor',
    description: 'Viewed a page in at least 3 distinct ISO weeks (UTC) of the last 28 days.',
    definition: { type: 'rules', match: { type: 'regularly', event: 'Page Viewed', window: 'last 28 days', per: 'week', atLeast: 3 } },
  },
} as const satisfies Record<string, { key: string; name: string; description: string; definition: SegmentDefinition }>;
