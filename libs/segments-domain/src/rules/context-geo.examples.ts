import type { RulesDefinition } from './definition.schema';

/**
 * Example definitions of event context, message type and geography (issue 20): documentation, SQL
 * goldens (`sql/__golden__/rules-<key>.sql`) and the bench's conditions.
 */
export const CONTEXT_GEO_EXAMPLES: Record<string, { key: string; name: string; definition: RulesDefinition }> = {
  pricingVisitor: {
    key: 'pricing-visitor',
    name: 'Viewed a pricing page in the last 30 days',
    definition: {
      type: 'rules',
      match: {
        type: 'event',
        messageType: 'page',
        window: 'last 30 days',
        where: [{ context: 'page.path', operator: 'starts_with', value: '/pricing' }],
      },
    },
  },
  storeCatchment: {
    key: 'store-catchment',
    name: 'Last seen within 25 km of the Berlin store (90 days)',
    definition: {
      type: 'rules',
      match: { type: 'location', near: { latitude: 52.52, longitude: 13.405, km: 25 }, window: 'last 90 days' },
    },
  },
  dachNewsletterMobile: {
    key: 'dach-newsletter-mobile',
    name: 'DACH customers who bought from a newsletter on mobile, near a store',
    definition: {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'location', country: ['DE', 'AT', 'CH'], postalCode: ['10', '80'] },
          {
            type: 'event',
            event: 'Order Completed',
            window: 'last 30 days',
            where: [
              { context: 'campaign.source', operator: 'equals', value: 'newsletter' },
              { context: 'device.type', operator: 'in', value: ['mobile', 'tablet'] },
              { near: { latitude: 48.1374, longitude: 11.5755, km: 50 } },
            ],
          },
        ],
      },
    },
  },
};
