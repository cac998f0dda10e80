// Synthetic page views that carry event context, for the demo of the context and geography
// conditions (issue #20): a page path, a UTM campaign, a user agent and an IP address. The API's
// ingestion fills `context.location` from that address with the packaged GeoLite2 database and
// `context.device.type` from the user agent (libs/ingestion), exactly as for a real visitor; the
// demo never writes a location itself. Deterministic, and every event carries `synthetic: true`.
import { latestByCustomer, OrderLine, spread } from './demo-events';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface DemoNetwork {
  /** ISO 3166-1 alpha-2, as enrichment writes `context.location.country`. */
  code: 'GB' | 'DE' | 'FR';
  /** The orders file's Country value. */
  country: string;
  /** The public network the addresses come from, and who it is registered to. */
  network: string;
  /** /24 prefixes inside it, with the city the packaged database (built 2026-06-17) gives them. */
  subnets: { prefix: string; city: string }[];
}

/**
 * Real public address ranges of the three largest countries of the UCI data, the consumer networks
 * of one national ISP each. Visitors get an address in one of the listed /24s; the spec checks
 * with the packaged database that each lands in its country (and the London ones near the store).
 */
export const DEMO_NETWORKS: DemoNetwork[] = [
  {
    code: 'GB',
    country: 'United Kingdom',
    network: '86.128.0.0/10 (BT)',
    subnets: [
      { prefix: '86.152.0', city: 'City of London' },
      { prefix: '86.140.112', city: 'Hackney' },
      { prefix: '86.128.32', city: 'Liverpool' },
      { prefix: '86.136.112', city: 'Glasgow' },
    ],
  },
  {
    code: 'DE',
    country: 'Germany',
    network: '87.128.0.0/10 (Deutsche Telekom)',
    subnets: [
      { prefix: '87.128.0', city: 'Berlin' },
      { prefix: '87.132.0', city: 'Hamburg' },
      { prefix: '87.140.96', city: 'Munich' },
      { prefix: '87.139.0', city: 'Cologne' },
    ],
  },
  {
    code: 'FR',
    country: 'France',
    network: '90.0.0.0/9 (Orange)',
    subnets: [
      { prefix: '90.0.208', city: 'Paris' },
      { prefix: '90.5.128', city: 'Lyon' },
      { prefix: '90.1.16', city: 'Toulouse' },
      { prefix: '90.12.176', city: 'Nantes' },
    ],
  },
];

/** The demo's store, for the catchment segment: Trafalgar Square, London. */
export const DEMO_STORE = { name: 'London store', latitude: 51.508, longitude: -0.1281, km: 25 };
export const DEMO_CAMPAIGN = { name: 'winter-sale', source: 'newsletter', medium: 'email' };
export const PRICING_PATH = '/pricing';

const USER_AGENTS = {
  mobile:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

export interface PageMessage {
  type: 'page';
  messageId: string;
  userId: string;
  name: string;
  timestamp: string;
  properties: Record<string, string | boolean>;
  context: Record<string, unknown>;
}

export interface Visitor {
  customer: string;
  code: DemoNetwork['code'];
  ip: string;
  city: string;
  device: keyof typeof USER_AGENTS;
  viewedPricing: boolean;
}

export interface ContextPlan {
  visitors: Visitor[];
  messages: PageMessage[];
}

function page(visitor: Visitor, path: string, name: string, at: number, fromCampaign: boolean): PageMessage {
  const query = fromCampaign
    ? `?utm_campaign=${DEMO_CAMPAIGN.name}&utm_source=${DEMO_CAMPAIGN.source}&utm_medium=${DEMO_CAMPAIGN.medium}`
    : '';
  return {
    type: 'page',
    messageId: `demo-page-${visitor.customer}-${path.replace(/\W/g, '') || 'home'}-${at}`,
    userId: visitor.customer,
    name,
    timestamp: new Date(at).toISOString(),
    properties: { path, synthetic: true },
    context: {
      ip: visitor.ip,
      userAgent: USER_AGENTS[visitor.device],
      page: { path, url: `https://shop.example${path}${query}`, title: name },
      ...(fromCampaign ? { campaign: { ...DEMO_CAMPAIGN } } : {}),
    },
  };
}

/**
 * `perCountry` customers of each country in DEMO_NETWORKS (spread through the customers sorted by
 * id), each with an address of that country and a landing page from the newsletter campaign 1–9
 * days before `now`; two in three then view the pricing page four minutes later. Every other
 * visitor is on a phone. Every page view is more than a day and less than ten days old.
 */
export function contextEvents(lines: OrderLine[], now: number, perCountry = 12): ContextPlan {
  const customers = latestByCustomer(lines);
  const visitors: Visitor[] = [];
  const messages: PageMessage[] = [];
  for (const network of DEMO_NETWORKS) {
    const chosen = spread(
      customers.filter((line) => line.country === network.country),
      perCountry,
    );
    chosen.forEach((line, index) => {
      const subnet = network.subnets[index % network.subnets.length];
      const visitor: Visitor = {
        customer: line.customer,
        code: network.code,
        ip: `${subnet.prefix}.${10 + Math.floor(index / network.subnets.length)}`,
        city: subnet.city,
        device: index % 2 === 0 ? 'mobile' : 'desktop',
        viewedPricing: index % 3 !== 2,
      };
      const landed = now - (1 + (index % 9)) * DAY_MS - (5 + ((index * 53) % 600)) * MINUTE_MS;
      visitors.push(visitor);
      messages.push(page(visitor, '/', 'Home', landed, true));
      if (visitor.viewedPricing) messages.push(page(visitor, PRICING_PATH, 'Wholesale pricing', landed + 4 * MINUTE_MS, false));
    });
  }
  return { visitors, messages };
}
