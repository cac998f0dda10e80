// Synthetic events that complete the demo's story around the real (shifted) orders: browsing and
// cart events for some customers in the last days, and the conversions after the demo activation's
// sync. Deterministic (no randomness: choices are spaced through the sorted customers or hashed
// from ids), and every event carries `synthetic: true` so it can be told from the imported orders.
import { createHash } from 'node:crypto';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface OrderLine {
  customer: string;
  sku: string;
  name: string;
  quantity: number;
  price: number;
  at: number;
  /** The file's Country column (`United Kingdom`, `Germany`, `France`, …). */
  country: string;
}

export interface TrackMessage {
  type: 'track';
  messageId: string;
  userId: string;
  event: string;
  timestamp: string;
  properties: Record<string, string | number | boolean>;
}

/** One CSV line's fields (quoted fields may hold commas and doubled quotes; the file has no multi-line field). */
function fields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted && char === '"' && line[i + 1] === '"') {
      field += '"';
      i += 1;
    } else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      out.push(field);
      field = '';
    } else field += char;
  }
  out.push(field);
  return out;
}

/** The purchase lines of the orders file (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country). */
export function readOrderLines(csv: string): OrderLine[] {
  return csv
    .split('\n')
    .slice(1)
    .map((line) => fields(line.trim()))
    .filter((cells) => cells.length === 8 && cells[6] !== '' && !cells[0].startsWith('C') && Number(cells[3]) > 0)
    .map((cells) => ({
      customer: String(Number(cells[6])), // 17850.0 → 17850, as the importer reads it
      sku: cells[1],
      name: cells[2].trim(),
      quantity: Number(cells[3]),
      price: Number(cells[5]),
      at: Date.parse(`${cells[4].replace(' ', 'T')}Z`),
      country: cells[7].trim(),
    }));
}

/** Each customer's latest purchase line, sorted by customer id. */
export function latestByCustomer(lines: OrderLine[]): OrderLine[] {
  const latest = new Map<string, OrderLine>();
  for (const line of lines) {
    const seen = latest.get(line.customer);
    if (!seen || line.at > seen.at) latest.set(line.customer, line);
  }
  return [...latest.values()].sort((a, b) => a.customer.localeCompare(b.customer));
}

/** `count` items spread evenly through `items` (all of them when there are fewer). */
export function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * items.length) / count)]);
}

function productEvent(event: string, line: OrderLine, at: number): TrackMessage {
  return {
    type: 'track',
    messageId: `demo-${event.toLowerCase().replace(' ', '-')}-${line.customer}-${at}`,
    userId: line.customer,
    event,
    timestamp: new Date(at).toISOString(),
    properties: { product_id: line.sku, sku: line.sku, name: line.name, price: line.price, quantity: 1, synthetic: true },
  };
}

export interface BrowsingPlan {
  /** Customers who viewed and added a product they had bought before, 1–6 days ago, and ordered nothing since. */
  abandoners: string[];
  /** Customers who ordered in the last 7 days, with the view and add of that product just before. */
  buyers: string[];
  messages: TrackMessage[];
}

/**
 * Browsing and cart events consistent with the orders: abandoners are customers whose last order
 * is 8–120 days old (so "no order in the last 7 days" is true of the data, not forced), who view
 * and add one of their past products 1–6 days before `now`; buyers view and add the product of
 * their latest order 25 and 15 minutes before it. Nothing is later than `now`.
 */
export function browsingEvents(lines: OrderLine[], now: number, counts = { abandoners: 30, buyers: 20 }): BrowsingPlan {
  const latest = latestByCustomer(lines);
  const lapsed = latest.filter((line) => now - line.at >= 8 * DAY_MS && now - line.at <= 120 * DAY_MS);
  const recent = latest.filter((line) => now - line.at < 7 * DAY_MS && line.at <= now);
  const abandoners = spread(lapsed, counts.abandoners);
  const buyers = spread(recent, counts.buyers);
  const messages: TrackMessage[] = [];
  abandoners.forEach((line, index) => {
    const added = now - (1 + (index % 6)) * DAY_MS - ((index * 37) % 600) * MINUTE_MS;
    messages.push(productEvent('Product Viewed', line, added - 12 * MINUTE_MS), productEvent('Product Added', line, added));
  });
  for (const line of buyers)
    messages.push(
      productEvent('Product Viewed', line, line.at - 25 * MINUTE_MS),
      productEvent('Product Added', line, line.at - 15 * MINUTE_MS),
    );
  return { abandoners: abandoners.map((line) => line.customer), buyers: buyers.map((line) => line.customer), messages };
}

export interface ExposedMember {
  userId: string;
  arm: 'treatment' | 'control';
}

/** A stable number in [0, 1) from a text (the first 32 bits of its SHA-256). */
function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Synthetic conversions after the demo sync: each exposed member converts when the hash of its
 * user id falls below its arm's rate (so the shares come out close to the rates, the same on every
 * run), with an order value of 20–120. The rates are the demo's choice, stated in its output: the
 * lift report should then find about their difference — a planted effect, not a measured one.
 */
export function syntheticConversions(members: ExposedMember[], rates: Record<ExposedMember['arm'], number>, now: number): TrackMessage[] {
  return members
    .filter((member) => unitHash(`convert:${member.userId}`) < rates[member.arm])
    .map((member) => ({
      type: 'track',
      messageId: `demo-conversion-${member.userId}`,
      userId: member.userId,
      event: 'Order Completed',
      timestamp: new Date(now).toISOString(),
      properties: {
        order_id: `demo-conversion-${member.userId}`,
        revenue: Math.round((20 + 100 * unitHash(`revenue:${member.userId}`)) * 100) / 100,
        synthetic: true,
      },
    }));
}
