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
