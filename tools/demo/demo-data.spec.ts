import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GeoLookup } from '@audiencekit/ingestion';
import { contextEvents, DEMO_NETWORKS, DEMO_STORE, PRICING_PATH } from './demo-context-events';
import { browsingEvents, readOrderLines, syntheticConversions } from './demo-events';
import { shiftOrders } from './shift-orders';

const ORDERS = readFileSync(path.resolve(__dirname, '../../data/online_retail_sample.csv'), 'utf8');
const DAY = 86_400_000;
const TIMESTAMP = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/;
const NOW = new Date('2026-12-07T04:00:00.000Z');

describe('shiftOrders (the demo orders moved to end now)', () => {
  const shifted = shiftOrders(ORDERS, NOW);

  it('adds the same whole number of days to every timestamp, the newest landing in the last 24 hours', () => {
    expect(shifted.newestBefore).toBe('2011-12-09T12:50:00.000Z');
    expect(shifted.days).toBe(5476);
    expect(Date.parse(shifted.newestAfter)).toBeLessThanOrEqual(NOW.getTime());
    expect(Date.parse(shifted.newestAfter)).toBeGreaterThan(NOW.getTime() - DAY);
    const before = ORDERS.split('\n');
    const after = shifted.csv.split('\n');
    expect(after).toHaveLength(before.length);
    expect(after[0]).toBe(before[0]);
    // Collected, then compared once: 30,000 expect calls take half a minute.
    const wrong: number[] = [];
    for (let index = 1; index < before.length; index += 1) {
      if (before[index] === '') continue;
      const [original] = before[index].match(TIMESTAMP) as RegExpMatchArray;
      const [moved] = after[index].match(TIMESTAMP) as RegExpMatchArray;
      const movedBy = Date.parse(`${moved.replace(' ', 'T')}Z`) - Date.parse(`${original.replace(' ', 'T')}Z`);
      // Nothing else in the row changes.
      if (movedBy !== shifted.days * DAY || after[index].replace(TIMESTAMP, '') !== before[index].replace(TIMESTAMP, ''))
        wrong.push(index + 1);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the newest order at or before now when now is just after its time of day', () => {
    const justAfter = shiftOrders(ORDERS, new Date('2026-12-07T12:50:00.000Z'));
    expect(justAfter.newestAfter).toBe('2026-12-07T12:50:00.000Z');
    const justBefore = shiftOrders(ORDERS, new Date('2026-12-07T12:49:59.999Z'));
    expect(justBefore.newestAfter).toBe('2026-12-06T12:50:00.000Z');
  });

  it('refuses a row without exactly one timestamp rather than guess which to move', () => {
    const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
    expect(() => shiftOrders(`${header}\n1,A,MADE 2011-01-01 10:00:00,1,2011-01-02 10:00:00,1.0,1.0,UK\n`, NOW)).toThrow(
      'demo orders line 2: expected one timestamp, found 2',
    );
    expect(() => shiftOrders(`${header}\n1,A,B,1,yesterday,1.0,1.0,UK\n`, NOW)).toThrow('found 0');
    expect(() => shiftOrders(`${header}\n`, NOW)).toThrow('no rows');
  });
});

describe('browsingEvents (synthetic views and carts around the shifted orders)', () => {
  const lines = readOrderLines(shiftOrders(ORDERS, NOW).csv);
  const plan = browsingEvents(lines, NOW.getTime());
  const lastOrder = (customer: string) => Math.max(...lines.filter((line) => line.customer === customer).map((line) => line.at));

  it('reads the purchase lines as the importer does (no refunds, no rows without a customer, 17850.0 → 17850)', () => {
    expect(lines.every((line) => line.quantity > 0 && /^\d+$/.test(line.customer))).toBe(true);
    expect(new Set(lines.map((line) => line.customer)).size).toBeGreaterThan(3_000);
    expect(lines.find((line) => line.customer === '12662')?.country).toBe('Germany');
  });

  it('gives cart abandoners a cart 1–7 days ago and no order in the last 7 days (true of the data, not forced)', () => {
    expect(plan.abandoners).toHaveLength(30);
    for (const customer of plan.abandoners) {
      expect(NOW.getTime() - lastOrder(customer)).toBeGreaterThanOrEqual(8 * DAY);
      const added = plan.messages.filter((message) => message.userId === customer && message.event === 'Product Added');
      expect(added).toHaveLength(1);
      const age = NOW.getTime() - Date.parse(added[0].timestamp);
      expect(age).toBeGreaterThan(0);
      expect(age).toBeLessThan(7 * DAY);
      // A product this customer bought before.
      expect(lines.some((line) => line.customer === customer && line.sku === added[0].properties.sku)).toBe(true);
    }
  });

  it("has recent buyers view and add their latest order's product just before it", () => {
    expect(plan.buyers.length).toBeGreaterThan(0);
    for (const customer of plan.buyers) {
      const order = lastOrder(customer);
      const events = plan.messages.filter((message) => message.userId === customer).map((message) => Date.parse(message.timestamp));
      expect(events.every((at) => at < order && at > order - DAY)).toBe(true);
    }
  });

  it('tracks nothing later than now, marks every event synthetic, and is the same on every run', () => {
    expect(plan.messages.every((message) => Date.parse(message.timestamp) <= NOW.getTime() && message.properties.synthetic === true)).toBe(
      true,
    );
    expect(new Set(plan.messages.map((message) => message.messageId)).size).toBe(plan.messages.length);
    expect(browsingEvents(lines, NOW.getTime())).toEqual(plan);
  });
});

describe('syntheticConversions (the planted effect of the demo activation)', () => {
  const members = Array.from({ length: 4_000 }, (_, index) => ({
    userId: String(10_000 + index),
    arm: index % 5 === 0 ? ('control' as const) : ('treatment' as const),
  }));

  it('converts close to each arm’s rate, deterministically, with order values of 20–120', () => {
    const conversions = syntheticConversions(members, { treatment: 0.12, control: 0.06 }, NOW.getTime());
    const arm = new Map(members.map((member) => [member.userId, member.arm]));
    const rate = (name: string, size: number) => conversions.filter((message) => arm.get(message.userId) === name).length / size;
    expect(rate('treatment', 3_200)).toBeGreaterThan(0.1);
    expect(rate('treatment', 3_200)).toBeLessThan(0.14);
    expect(rate('control', 800)).toBeGreaterThan(0.04);
    expect(rate('control', 800)).toBeLessThan(0.08);
    expect(conversions.every((message) => message.event === 'Order Completed' && message.timestamp === NOW.toISOString())).toBe(true);
    expect(conversions.every((message) => Number(message.properties.revenue) >= 20 && Number(message.properties.revenue) <= 120)).toBe(
      true,
    );
    expect(syntheticConversions(members, { treatment: 0.12, control: 0.06 }, NOW.getTime())).toEqual(conversions);
  });
});

/** Great-circle distance (haversine, mean Earth radius), written here apart from the product's. */
function kilometres(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

/** Is the IPv4 address inside the CIDR block ('86.128.0.0/10 (BT)': the owner after the block is ignored)? */
function inNetwork(ip: string, network: string): boolean {
  const [block, bits] = network.split(' ')[0].split('/');
  const number = (address: string) => address.split('.').reduce((total, part) => total * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(number(ip) / size) === Math.floor(number(block) / size);
}

describe('contextEvents (synthetic page views with context, located by the packaged GeoLite2 database)', () => {
  const lines = readOrderLines(ORDERS);
  const plan = contextEvents(lines, NOW.getTime());
  const geo = new GeoLookup({ cacheSize: 0 });

  it("gives each visitor an address of its orders' country, which the packaged database places there", () => {
    expect(plan.visitors).toHaveLength(36);
    for (const visitor of plan.visitors) {
      const network = DEMO_NETWORKS.find((candidate) => candidate.code === visitor.code);
      expect(lines.some((line) => line.customer === visitor.customer && line.country === network?.country)).toBe(true);
      expect(inNetwork(visitor.ip, network?.network ?? '')).toBe(true);
      expect({ ip: visitor.ip, country: geo.lookup(visitor.ip)?.country }).toEqual({ ip: visitor.ip, country: visitor.code });
    }
  });

  it("puts some visitors inside the London store's catchment and the other British ones outside it", () => {
    const distances = plan.visitors
      .filter((visitor) => visitor.code === 'GB')
      .map((visitor) => ({
        city: visitor.city,
        km: kilometres(DEMO_STORE, geo.lookup(visitor.ip) as { latitude: number; longitude: number }),
      }));
    const inside = distances.filter((entry) => entry.km <= DEMO_STORE.km);
    expect(inside.length).toBeGreaterThan(0);
    expect(new Set(inside.map((entry) => entry.city))).toEqual(new Set(['City of London', 'Hackney']));
    expect(distances.length - inside.length).toBeGreaterThan(0);
  });

  it('has German visitors viewing the pricing page, half the visitors on a phone, the campaign on every landing', () => {
    const pricing = (code: string) =>
      plan.visitors.filter(
        (visitor) =>
          visitor.code === code &&
          plan.messages.some(
            (message) => message.userId === visitor.customer && (message.context.page as { path: string }).path === PRICING_PATH,
          ),
      );
    expect(pricing('DE').length).toBeGreaterThan(0);
    expect(pricing('DE').length).toBeLessThan(plan.visitors.filter((visitor) => visitor.code === 'DE').length);
    expect(plan.visitors.filter((visitor) => visitor.device === 'mobile')).toHaveLength(18);
    const landings = plan.messages.filter((message) => (message.context.page as { path: string }).path === '/');
    expect(landings).toHaveLength(36);
    expect(landings.every((message) => (message.context.campaign as { name: string }).name === 'winter-sale')).toBe(true);
  });

  it('sends page messages 1–10 days old, marked synthetic, with unique ids, the same on every run', () => {
    for (const message of plan.messages) {
      const age = NOW.getTime() - Date.parse(message.timestamp);
      expect(message.type).toBe('page');
      expect(message.properties.synthetic).toBe(true);
      expect(age).toBeGreaterThan(DAY);
      expect(age).toBeLessThan(10 * DAY);
    }
    expect(new Set(plan.messages.map((message) => message.messageId)).size).toBe(plan.messages.length);
    expect(contextEvents(lines, NOW.getTime())).toEqual(plan);
  });
});
