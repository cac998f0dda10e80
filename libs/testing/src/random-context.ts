// Shapes of libs/segments-domain's definition, restated: this kit cannot import that library (its
// own specs import this kit), and the schema checks every definition drawn anyway.
type MessageType = 'track' | 'page' | 'screen';
type NearPoint = { latitude: number; longitude: number; km: number };
type EventFilter = Record<string, unknown>;
export interface RandomLocationCondition {
  type: 'location';
  country?: string[];
  region?: string[];
  city?: string[];
  postalCode?: string[];
  near?: NearPoint;
  window?: string;
}

/**
 * Random event context, message types and geography for the differential suites (issue 20), shared
 * by the SQL/memory, real-time and prepared-evaluator differentials. The pools hit the edges where
 * SQL and JavaScript could disagree: coordinates as strings or out of range, a location with only a
 * country, an empty location, points across the antimeridian, prefixes differing only in case,
 * contexts that are missing or not objects where a path goes through them.
 */
export interface RandomDraw {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export const CONTEXT_PLACES: readonly Record<string, unknown>[] = [
  { country: 'DE', region: 'BE', city: 'Berlin', postalCode: '10115', latitude: 52.52, longitude: 13.405 },
  { country: 'DE', region: 'BB', city: 'Potsdam', postalCode: '14467', latitude: 52.3906, longitude: 13.0645 },
  { country: 'DE', region: 'BY', city: 'München', postalCode: '80331', latitude: 48.1374, longitude: 11.5755 },
  { country: 'FR', region: 'IDF', city: 'Paris', postalCode: '75001', latitude: 48.8566, longitude: 2.3522 },
  { country: 'US', region: 'NY', city: 'New York', postalCode: '10001', latitude: 40.7128, longitude: -74.006 },
  { country: 'FJ', city: 'Taveuni', latitude: -16.85, longitude: 179.95 },
  { country: 'FJ', city: 'Lau', latitude: -16.85, longitude: -179.95 },
  { country: 'DE' },
  { country: 'Germany', latitude: '52.5', longitude: 13.4 },
  { latitude: 95, longitude: 13.4, city: 'Berlin' },
  { latitude: 52.52, longitude: 13.405 },
  { postalCode: 10115, city: 'berlin' },
  {},
];

export const NEAR_POINTS: readonly { latitude: number; longitude: number }[] = [
  { latitude: 52.52, longitude: 13.405 },
  { latitude: 48.8566, longitude: 2.3522 },
  { latitude: -16.85, longitude: 180 },
];

const PATHS = ['/pricing', '/pricing/enterprise', '/Pricing', '/blog/golf', '/', 'pricing'];

/** A stored context, or undefined (no context column). */
export function randomContext(draw: RandomDraw): Record<string, unknown> | undefined {
  if (draw.chance(0.12)) return undefined;
  const context: Record<string, unknown> = {};
  if (draw.chance(0.6)) {
    const path = draw.pick(PATHS);
    context.page = draw.chance(0.9)
      ? {
          path,
          url: `https://shop.example${path}?utm_source=x`,
          referrer: draw.pick(['https://www.google.com/', 'https://news.example/', '']),
        }
      : 'not an object';
  }
  if (draw.chance(0.5))
    context.campaign = {
      name: draw.pick(['spring', 'Spring Sale', 'golf-2026']),
      source: draw.pick(['google', 'newsletter']),
      medium: 'cpc',
    };
  if (draw.chance(0.5)) context.device = { type: draw.pick(['mobile', 'tablet', 'desktop']) };
  if (draw.chance(0.4)) context.locale = draw.pick(['de-DE', 'en-US', 'fr-FR']);
  if (draw.chance(0.3)) context.timezone = draw.pick(['Europe/Berlin', 'America/New_York']);
  if (draw.chance(0.65)) context.location = draw.chance(0.95) ? { ...draw.pick(CONTEXT_PLACES) } : null;
  return context;
}

/** The message type of an event of this name: page views are mostly pages, some screens. */
export function randomMessageType(draw: RandomDraw, name: string): MessageType {
  if (name === 'Page Viewed') return draw.pick(['page', 'page', 'screen', 'track'] as const);
  return draw.chance(0.9) ? 'track' : draw.pick(['page', 'screen'] as const);
}

export function randomNear(draw: RandomDraw): NearPoint {
  return { ...draw.pick(NEAR_POINTS), km: draw.pick([0, 30, 600, 1000, 1000, 20_000]) };
}

/** A context or near filter for an event condition's `where`. */
export function randomContextFilter(draw: RandomDraw): EventFilter {
  if (draw.chance(0.25)) return { near: randomNear(draw) };
  const choice = draw.int(0, 8);
  switch (choice) {
    case 0:
      return { context: 'page.path', operator: 'starts_with', value: draw.pick(['/pricing', '/Pricing', '/']) };
    case 1:
      return { context: 'page.url', operator: 'contains', value: draw.pick(['pricing', 'utm_source', 'golf']) };
    case 2:
      return { context: 'campaign.source', operator: draw.pick(['equals', 'not_equals'] as const), value: 'google' };
    case 3:
      return { context: 'device.type', operator: draw.pick(['in', 'not_in'] as const), value: ['mobile', 'tablet'] };
    case 4:
      return { context: 'locale', operator: draw.pick(['exists', 'not_exists'] as const) };
    case 5:
      return { context: 'location.country', operator: 'equals', value: draw.pick(['DE', 'FR', 'Germany']) };
    case 6:
      return draw.chance(0.5)
        ? { context: 'location.latitude', operator: 'gt', value: draw.pick([48.8566, 50]) }
        : { context: 'location.latitude', operator: 'between', value: [48.8566, 53] };
    case 7:
      return { context: 'page.referrer', operator: 'equals', value: '' };
    default:
      return { context: 'campaign.name', operator: 'starts_with', value: draw.pick(['spring', 'Spring']) };
  }
}

/**
 * Adds a message type and context filters to an event condition, sometimes (dropping the name for
 * page / screen); `rate` scales how often (a small population needs fewer narrowing filters).
 */
export function withContext<T extends { type: string }>(draw: RandomDraw, node: T, rate = 1): T {
  if (node.type !== 'event') return node;
  const next = { ...node } as T & { event?: string; messageType?: MessageType; where?: EventFilter[] };
  if (draw.chance(0.25 * rate)) {
    next.messageType = draw.pick(['track', 'page', 'page', 'screen'] as const);
    if (next.messageType !== 'track' && draw.chance(0.6)) delete next.event;
  }
  if (draw.chance(0.25 * rate)) {
    const extra = Array.from({ length: draw.chance(0.8) ? 1 : 2 }, () => randomContextFilter(draw));
    next.where = [...(next.where ?? []), ...extra];
  }
  return next;
}

/** A location condition, mostly with one criterion (more rarely two or three: those seldom split anyone). */
export function randomLocationCondition(draw: RandomDraw, windows: readonly string[]): RandomLocationCondition {
  const node: RandomLocationCondition = { type: 'location' };
  const criteria = ['country', 'country', 'region', 'city', 'postalCode', 'near', 'near'] as const;
  const chosen = new Set(Array.from({ length: draw.chance(0.8) ? 1 : draw.int(2, 3) }, () => draw.pick(criteria)));
  if (chosen.has('country')) node.country = draw.pick([['DE'], ['DE'], ['FR', 'US'], ['Germany'], ['de'], ['DE', 'FR']]);
  if (chosen.has('region')) node.region = draw.pick([['BE'], ['BY', 'IDF']]);
  if (chosen.has('city')) node.city = draw.pick([['Berlin'], ['München', 'Paris'], ['Taveuni', 'Lau']]);
  if (chosen.has('postalCode')) node.postalCode = draw.pick([['10'], ['1', '8'], ['75001'], ['101150']]);
  if (chosen.has('near')) node.near = randomNear(draw);
  if (draw.chance(0.3)) node.window = draw.pick(windows);
  return node;
}
