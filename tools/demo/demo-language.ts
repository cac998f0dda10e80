// The richer segment language (issue #20) on the demo data, run by `npm start` after the demo
// activation: computed traits, a SQL trait, sequence and lifecycle segments, and event context and
// geography (synthetic page views, demo-context-events.ts). Everything through the admin API and
// the tracking API, as a user's script would; every segment and trait here has members or values.
import { LIFECYCLE_EXAMPLES } from '@audiencekit/segments-domain';
import { ApiError, awaitFirstRefresh, Call, createSegments, track } from './demo-api';
import { contextEvents, DEMO_CAMPAIGN, DEMO_NETWORKS, DEMO_STORE, PRICING_PATH } from './demo-context-events';
import { OrderLine } from './demo-events';

const OWNER = 'demo@audiencekit.local';
const KPI = { event: 'Order Completed', windowDays: 30, valueProperty: 'revenue' };
/** spend_90d above this is a high spender: 119 of the ~2,300 demo buyers of the last 90 days (about 5%). */
export const HIGH_SPEND_90D = 250;

/** Computed traits: one on a cadence (run once at once), one kept in real time per event. */
export const DEMO_COMPUTED_TRAITS = [
  {
    key: 'spend_90d',
    description: 'Revenue of completed orders in the last 90 days (the imported orders: revenue = quantity × unit price).',
    owner: OWNER,
    cadence: '0 * * * *',
    definition: { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 90 days' },
  },
  {
    key: 'last_viewed_product',
    description: 'Name of the last product viewed in the last 7 days, for personalisation ({{computed.last_viewed_product}}).',
    owner: OWNER,
    cadence: 'realtime',
    definition: { function: 'last', event: 'Product Viewed', property: 'name', window: 'last 7 days' },
  },
];

/** A SQL trait over the documented views (libs/sql-traits): two value columns, two trait keys. */
export const DEMO_SQL_TRAIT = {
  key: 'order_history',
  name: 'Order history',
  description: 'Distinct orders ever, and the Country of the latest imported order line, per profile.',
  owner: OWNER,
  cadence: '0 3 * * *',
  sql: [
    'SELECT profile_id,',
    "       count(DISTINCT properties->>'order_id') AS order_count,",
    "       (array_agg(properties->>'country' ORDER BY \"timestamp\" DESC) FILTER (WHERE properties ? 'country'))[1] AS order_country",
    '  FROM events',
    " WHERE name = 'Order Completed'",
    ' GROUP BY profile_id',
  ].join('\n'),
};

interface DemoSegment {
  key: string;
  name: string;
  description: string;
  definition: Record<string, unknown>;
  /** What the output line says it shows. */
  shows: string;
}

const rules = (match: Record<string, unknown>) => ({ type: 'rules', match });
const germanCode = DEMO_NETWORKS.find((network) => network.country === 'Germany')?.code;

export const LANGUAGE_SEGMENTS: DemoSegment[] = [
  {
    key: 'high-spenders-90d',
    name: 'High spenders (90 days)',
    description: `Computed trait spend_90d above ${HIGH_SPEND_90D}.`,
    definition: rules({ type: 'computed_trait', key: 'spend_90d', operator: 'gt', value: HIGH_SPEND_90D }),
    shows: `computed trait: spend_90d > ${HIGH_SPEND_90D}`,
  },
  {
    key: 'viewed-added-ordered',
    name: 'Viewed, added, then ordered',
    description: 'Viewed a product, added one to the cart, then completed an order, within 7 days; started in the last 30 days.',
    definition: rules({
      type: 'sequence',
      steps: [{ event: 'Product Viewed' }, { event: 'Product Added' }, { event: 'Order Completed' }],
      within: '7d',
      window: 'last 30 days',
    }),
    shows: 'sequence: Product Viewed → Product Added → Order Completed within 7 days',
  },
  { ...LIFECYCLE_EXAMPLES.lapsedBuyer, shows: 'lifecycle: stopped ordering (active 60 days, then quiet 30)' },
  {
    key: 'regular-buyer',
    name: 'Regular buyer',
    description: 'Completed orders in at least 3 distinct ISO weeks (UTC) of the last 90 days.',
    definition: rules({ type: 'regularly', event: 'Order Completed', window: 'last 90 days', per: 'week', atLeast: 3 }),
    shows: 'lifecycle: orders in 3+ weeks of the last 90 days',
  },
  {
    key: 'germany-pricing-visitors',
    name: 'Pricing visitors from Germany',
    description: `Viewed ${PRICING_PATH} in the last 30 days from an address located in Germany (context.location from the IP).`,
    definition: rules({
      type: 'event',
      messageType: 'page',
      window: 'last 30 days',
      where: [
        { context: 'page.path', operator: 'starts_with', value: PRICING_PATH },
        { context: 'location.country', operator: 'equals', value: germanCode },
      ],
    }),
    shows: `context + geo: page ${PRICING_PATH}, country ${germanCode}`,
  },
  {
    key: 'london-store-catchment',
    name: 'London store catchment',
    description: `Last seen (30 days) within ${DEMO_STORE.km} km of the ${DEMO_STORE.name}.`,
    definition: rules({
      type: 'location',
      near: { latitude: DEMO_STORE.latitude, longitude: DEMO_STORE.longitude, km: DEMO_STORE.km },
      window: 'last 30 days',
    }),
    shows: `geo: within ${DEMO_STORE.km} km of the ${DEMO_STORE.name}`,
  },
  {
    key: 'winter-sale-on-mobile',
    name: 'Winter sale visitors on a phone',
    description: `Came from the ${DEMO_CAMPAIGN.name} campaign (utm_campaign) on a mobile device (from the user agent) in the last 30 days.`,
    definition: rules({
      type: 'event',
      messageType: 'page',
      window: 'last 30 days',
      where: [
        { context: 'campaign.name', operator: 'equals', value: DEMO_CAMPAIGN.name },
        { context: 'device.type', operator: 'equals', value: 'mobile' },
      ],
    }),
    shows: `context: campaign ${DEMO_CAMPAIGN.name}, device mobile`,
  },
];

/** Reads the SQL trait's columns; created only when the SQL trait ran. */
export const SQL_TRAIT_SEGMENT: DemoSegment = {
  key: 'repeat-buyers-de-fr',
  name: 'Repeat buyers in Germany and France',
  description: 'SQL trait order_history: at least 2 orders, the latest from Germany or France.',
  definition: rules({
    type: 'all',
    conditions: [
      { type: 'computed_trait', key: 'order_count', operator: 'gte', value: 2 },
      { type: 'computed_trait', key: 'order_country', operator: 'in', value: ['Germany', 'France'] },
    ],
  }),
  shows: 'SQL trait: order_count ≥ 2, order_country Germany or France',
};

interface TraitRun {
  withValue: number;
}
interface SqlTraitRun {
  rowCount: number;
  values: { upserted: number };
}

async function trackContextEvents(apiUrl: string, api: Call, lines: OrderLine[], say: (line: string) => void): Promise<void> {
  const plan = contextEvents(lines, Date.now());
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo page views (synthetic)', role: 'write' });
  await track(apiUrl, secret, plan.messages);
  const countries = DEMO_NETWORKS.map((network) => `${network.code} ${network.network}`).join(', ');
  say(
    `demo context: ${plan.messages.length} synthetic page views by ${plan.visitors.length} customers (utm_campaign ${DEMO_CAMPAIGN.name}, ${PRICING_PATH}), sent with public IPs of ${countries}: ingestion filled context.location and device.type`,
  );
}

async function createComputedTraits(api: Call, say: (line: string) => void): Promise<void> {
  const [spend, lastViewed] = DEMO_COMPUTED_TRAITS;
  await api('POST', '/computed-traits', spend);
  const run = await api<TraitRun>('POST', `/computed-traits/${spend.key}/runs`);
  // A real-time trait is computed for everyone when it is created, then kept fresh per event.
  await api('POST', '/computed-traits', lastViewed);
  const created = await api<{ lastRun: TraitRun | null }>('GET', `/computed-traits/${lastViewed.key}`);
  say(
    `demo computed traits: ${spend.key} (sum of Order Completed revenue, 90 days, hourly) ${run.withValue.toLocaleString('en-US')} profiles with a value; ${lastViewed.key} (last Product Viewed name, 7 days, real time) ${(created.lastRun?.withValue ?? 0).toLocaleString('en-US')}`,
  );
}

/** The SQL trait, or a line saying why not: 503 sql_traits_unavailable when the database user cannot have the reader role. */
async function createSqlTrait(api: Call, say: (line: string) => void): Promise<boolean> {
  try {
    await api('POST', '/sql-traits', DEMO_SQL_TRAIT);
    const run = await api<SqlTraitRun>('POST', `/sql-traits/${DEMO_SQL_TRAIT.key}/runs`);
    say(
      `demo SQL trait: ${DEMO_SQL_TRAIT.key} → order_count, order_country for ${run.rowCount.toLocaleString('en-US')} profiles (${run.values.upserted.toLocaleString('en-US')} values stored)`,
    );
    return true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 503) throw error;
    say(
      `demo SQL trait skipped: HTTP 503 ${error.reason} (the database user needs CREATEROLE, or an operator creates the role: libs/sql-traits/README.md)`,
    );
    return false;
  }
}

/** Creates the segments (first refresh queued); a refused definition is a line, not the end of the demo. */
async function createLanguageSegments(api: Call, segments: DemoSegment[], say: (line: string) => void): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const { shows: _shows, ...segment } of segments) {
    try {
      for (const [key, id] of await createSegments(api, [{ ...segment, kpi: KPI }])) ids.set(key, id);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 400) throw error;
      say(`demo segment ${segment.key} refused by the API: ${error.reason}`);
    }
  }
  return ids;
}

export async function runLanguageDemo(apiUrl: string, api: Call, lines: OrderLine[], say: (line: string) => void): Promise<void> {
  await trackContextEvents(apiUrl, api, lines, say);
  await createComputedTraits(api, say);
  const segments = (await createSqlTrait(api, say)) ? [...LANGUAGE_SEGMENTS, SQL_TRAIT_SEGMENT] : LANGUAGE_SEGMENTS;
  const ids = await createLanguageSegments(api, segments, say);
  for (const segment of segments.filter((candidate) => ids.has(candidate.key))) {
    const run = await awaitFirstRefresh(api, segment.key, ids.get(segment.key) as string);
    const size = run.status === 'succeeded' ? `${(run.size ?? 0).toLocaleString('en-US')} members` : `refresh ${run.status}`;
    say(`demo segment ${segment.key} (${segment.shows}): ${size}`);
  }
}
