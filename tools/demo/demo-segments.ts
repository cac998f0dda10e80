// The segments the demo creates: the seeds' three examples and one segment per default RFM tier.
import { DEFAULT_RFM_TIERS, EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';

const KPI = { event: 'Order Completed', windowDays: 30, valueProperty: 'revenue' };

/** The win-back example is the demo activation's audience (demo-activation.ts). */
export const DEMO_ACTIVATION_SEGMENT = EXAMPLE_SEGMENTS.winBack.key;

/**
 * One segment per tier of the default RFM table (key: the tier's key with dashes). The orders are
 * shifted to end today (shift-orders.ts), so the tiers use the product's default window (the last
 * 365 days) like live data would.
 */
const RFM_TIER_SEGMENTS = DEFAULT_RFM_TIERS.map((tier) => ({
  key: tier.key.replace(/_/g, '-'),
  name: tier.name,
  description: `RFM tier (default table). Play: ${tier.action ?? 'none'}.`,
  definition: { type: 'rfm', tiers: [tier.key] },
  kpi: KPI,
}));
const FIRST_TIERS = ['champions', 'at-risk-high-value'];

/** Created before the worker starts: the seeds' examples and two RFM tiers. */
export const DEMO_SEGMENTS = [
  ...Object.values(EXAMPLE_SEGMENTS).map((example) => ({ ...example, kpi: KPI })),
  ...RFM_TIER_SEGMENTS.filter((segment) => FIRST_TIERS.includes(segment.key)),
];

/**
 * The other nine tiers, created once the worker is up (demo-activation.ts): creating an RFM segment
 * reads the orders (are there purchasers in the window?), about a second each, which npm start's
 * time to ready should not wait for.
 */
export const MORE_RFM_TIER_SEGMENTS = RFM_TIER_SEGMENTS.filter((segment) => !FIRST_TIERS.includes(segment.key));

/**
 * A real-time segment (evaluated on every event, and left by itself when its hour is over), and a
 * few tracked product views so it has members the moment the worker is up: the segment page's
 * live feed shows them enter now and exit an hour later.
 */
export const REALTIME_DEMO_SEGMENT = {
  key: 'browsing-now',
  name: 'Browsing now',
  description:
    'Viewed a product in the last hour and ordered nothing in that hour. Real time: enters on the view, exits when the hour is over.',
  refreshCadence: 'realtime',
  definition: {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'event', event: 'Product Viewed', window: 'last 1 hours' },
        { type: 'event', event: 'Order Completed', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
      ],
    },
  },
  kpi: { event: 'Order Completed', windowDays: 1, valueProperty: 'revenue' },
};
