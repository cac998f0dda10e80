import { compileSegmentSql } from '../compile-segment-sql';
import { explainSegment } from '../realtime/explain-segment';
import { evaluateProfileRealtime } from '../realtime/evaluate-realtime';
import { realtimeEventNeeds } from '../realtime/event-needs';
import { realtimeProblems } from '../realtime/realtime-problems';
import { EARTH_RADIUS_KM, distanceKm, isNear, nearBounds } from './context-geo';
import { CONTEXT_GEO_EXAMPLES } from './context-geo.examples';
import { DEFINITION_COST, definitionCost } from './definition-cost';
import { Condition, RulesDefinition, SegmentDefinitionException, parseSegmentDefinition } from './definition.schema';
import { evaluateSegment } from './evaluate';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const rules = (match: unknown) => ({ type: 'rules', match });
const BERLIN = { latitude: 52.52, longitude: 13.405 };
const PARIS = { latitude: 48.8566, longitude: 2.3522 };

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseSegmentDefinition(raw);
  } catch (error) {
    if (error instanceof SegmentDefinitionException) return error.issues;
    throw error;
  }
  return [];
}

describe('event context, message type and geography: the definition', () => {
  it.each([
    [{ type: 'event', window: 'last 7 days' }, 'match.event', 'is required unless messageType is page or screen'],
    [{ type: 'event', messageType: 'track', window: 'last 7 days' }, 'match.event', 'is required unless messageType is page or screen'],
    [{ type: 'event', messageType: 'identify', event: 'x', window: 'ever' }, 'match.messageType', ''],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ context: 'page.path', property: 'x', operator: 'exists' }] },
      'match.where.0',
      'must have exactly one of property, context or near',
    ],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ context: 'page.path' }] },
      'match.where.0.operator',
      'is required with context',
    ],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ context: 'page.path', operator: 'starts_with' }] },
      'match.where.0.value',
      'must be a non-empty string for operator starts_with',
    ],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ near: { ...BERLIN, km: 5 }, operator: 'exists' }] },
      'match.where.0.operator',
      'must be absent with near',
    ],
    [{ type: 'event', messageType: 'page', window: 'ever', where: [{ near: { ...BERLIN, km: 20_001 } }] }, 'match.where.0.near.km', ''],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ near: { latitude: 91, longitude: 0, km: 1 } }] },
      'match.where.0.near.latitude',
      '',
    ],
    [
      { type: 'event', messageType: 'page', window: 'ever', where: [{ context: 'page.0', operator: 'exists' }] },
      'match.where.0.context',
      '',
    ],
    [{ type: 'location' }, 'match', 'needs at least one of country, region, city, postalCode, near'],
    [{ type: 'location', country: [] }, 'match.country', ''],
    [{ type: 'location', postalCode: [''] }, 'match.postalCode.0', ''],
    [{ type: 'location', city: ['Berlin'], window: 'yesterday' }, 'match.window', ''],
    [{ type: 'location', city: ['Berlin'], zip: '10' }, 'match', ''],
  ])('refuses %j at %s, naming the problem', (match, path, message) => {
    const issues = issuesOf(rules(match));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((issue) => issue.path)).toContain(path);
    if (message) expect(issues.find((issue) => issue.path === path)?.message).toBe(message);
  });

  it('keeps the meaning of a definition without a message type: every type of that name', () => {
    const definition = parseSegmentDefinition(rules({ type: 'event', event: 'Pricing', window: 'ever' }));
    const events = [{ name: 'Pricing', type: 'page', timestamp: NOW.getTime() - DAY }];
    expect(evaluateSegment(definition, { traits: {}, events }, { now: NOW })).toBe(true);
    expect(compileSegmentSql(definition, { now: NOW }).text).not.toContain('e.type');
  });
});

describe('compiled SQL of context and geography', () => {
  it('binds every user value and splices none into the text (hostile strings in every new string field)', () => {
    const hostile = "x'); DROP TABLE profiles; --";
    const definition = parseSegmentDefinition(
      rules({
        type: 'all',
        conditions: [
          {
            type: 'event',
            event: hostile,
            messageType: 'page',
            window: 'last 7 days',
            where: [
              { context: `${hostile}.${hostile}`, operator: 'starts_with', value: hostile },
              { context: hostile, operator: 'in', value: [hostile, 'a'] },
              { context: 'page.path', operator: 'contains', value: hostile },
              { near: { ...BERLIN, km: 3 } },
            ],
          },
          {
            type: 'event',
            messageType: 'screen',
            window: 'last 7 days',
            where: [{ context: hostile, operator: 'equals', value: hostile }],
          },
          {
            type: 'location',
            country: [hostile],
            region: [hostile],
            city: [hostile],
            postalCode: [hostile, '10'],
            near: { ...PARIS, km: 1 },
          },
        ],
      }),
    );
    const query = compileSegmentSql(definition, { now: NOW });
    expect(query.text).not.toContain('DROP');
    expect(query.text).not.toContain("'x'");
    expect(query.values).toEqual(
      expect.arrayContaining([hostile, JSON.stringify(hostile), JSON.stringify([hostile]), [hostile, hostile], 'page']),
    );
    expect((query.text.match(/\$\d+/g) ?? []).length).toBeGreaterThanOrEqual(query.values.length);
  });

  it('compiles every example into one statement', () => {
    for (const example of Object.values(CONTEXT_GEO_EXAMPLES)) {
      const query = compileSegmentSql(parseSegmentDefinition(example.definition), { now: NOW });
      expect(query.text.startsWith('WITH') || query.text.startsWith('SELECT')).toBe(true);
      expect(query.text).not.toContain(';');
    }
  });
});

describe('distance', () => {
  it('uses the haversine on a 6371.0088 km sphere', () => {
    expect(EARTH_RADIUS_KM).toBe(6371.0088);
    // Berlin–Paris: 877.5 km on this sphere (great circle).
    expect(distanceKm(BERLIN, PARIS)).toBeCloseTo(877.5, 0);
    // Across the antimeridian: 0.1° of longitude at 16.85° S ≈ 10.6 km, not ~38,000.
    expect(distanceKm({ latitude: -16.85, longitude: 179.95 }, { latitude: -16.85, longitude: -179.95 })).toBeCloseTo(10.64, 1);
  });

  it('is inclusive and reads only numeric, in-range coordinates', () => {
    expect(isNear(BERLIN, nearBounds({ ...BERLIN, km: 0 }))).toBe(true);
    expect(isNear(PARIS, nearBounds({ ...BERLIN, km: 877 }))).toBe(false);
    expect(isNear(PARIS, nearBounds({ ...BERLIN, km: 878 }))).toBe(true);
    expect(isNear({ latitude: '52.52', longitude: 13.405 }, nearBounds({ ...BERLIN, km: 100 }))).toBe(false);
    expect(isNear({ latitude: 52.52 + 360, longitude: 13.405 }, nearBounds({ ...BERLIN, km: 100 }))).toBe(false);
    expect(isNear({ latitude: 52.52 }, nearBounds({ ...BERLIN, km: 100 }))).toBe(false);
    expect(isNear(undefined, nearBounds({ ...BERLIN, km: 100 }))).toBe(false);
  });
});

describe('the last known location', () => {
  const located = (daysAgo: number, location: unknown, name = 'Any') => ({
    name,
    timestamp: NOW.getTime() - daysAgo * DAY,
    context: { location } as Record<string, unknown>,
  });
  const member = (match: Condition, events: ReturnType<typeof located>[]) =>
    evaluateSegment({ type: 'rules', match }, { traits: {}, events }, { now: NOW });

  it('is the latest located event; a country-only location supersedes an older city; an empty one is no location', () => {
    const events = [located(5, { country: 'DE', city: 'Berlin' }), located(2, { country: 'FR' }), located(1, {}), located(0.5, null)];
    expect(member({ type: 'location', country: ['FR'] }, events)).toBe(true);
    expect(member({ type: 'location', city: ['Berlin'] }, events)).toBe(false);
    expect(member({ type: 'location', country: ['DE'], window: 'between 2026-06-01 and 2026-06-12' }, events)).toBe(true);
  });

  it('ignores future-dated events until their time, and then changes (real time says when)', () => {
    const events = [located(3, { country: 'DE' }), located(-1, { country: 'FR' })];
    const definition: RulesDefinition = { type: 'rules', match: { type: 'location', country: ['DE'] } };
    expect(member(definition.match, events)).toBe(true);
    const [verdict] = evaluateProfileRealtime([{ id: 's', key: 's', definition }], { traits: {}, events, otherSegments: new Set() }, NOW);
    expect(verdict).toEqual({ segmentId: 's', matches: true, nextChangeAt: NOW.getTime() + DAY });
  });

  it('on a tie, holds when one of the tied locations satisfies it', () => {
    const events = [located(1, { city: 'Paris' }), located(1, { city: 'Berlin' })];
    expect(member({ type: 'location', city: ['Berlin'] }, events)).toBe(true);
    expect(member({ type: 'location', city: ['Paris'] }, events)).toBe(true);
    expect(member({ type: 'not', condition: { type: 'location', city: ['Berlin'] } }, events)).toBe(false);
  });

  it('is explained with the location, its time and the distance', () => {
    const definition: RulesDefinition = { type: 'rules', match: { type: 'location', near: { ...BERLIN, km: 10 }, window: 'last 7 days' } };
    const events = [located(2, { country: 'FR', ...PARIS }), located(8, { country: 'DE', ...BERLIN })];
    const explanation = explainSegment(definition, { traits: {}, events, otherSegments: new Set() }, NOW);
    expect(explanation.matches).toBe(false);
    expect(explanation.root.values).toEqual({
      kind: 'location',
      lastAt: new Date(NOW.getTime() - 2 * DAY).toISOString(),
      locations: [{ country: 'FR', ...PARIS }],
      distanceKm: expect.closeTo(877.5, 0),
    });
    // The Paris event leaves the 7-day window in 5 days: then no location is known (still false).
    expect(explanation.nextChangeAt).toBeNull();
  });
});

describe('real time, cost and needs', () => {
  it('loads type, context and located events only when a definition needs them', () => {
    const plain = realtimeEventNeeds([{ type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 7 days' } }]);
    expect(plain).toMatchObject({ names: ['Order Completed'], anyNameOfTypes: [], types: false, context: false, located: false });
    const pages = realtimeEventNeeds([
      {
        type: 'rules',
        match: { type: 'event', messageType: 'page', window: 'last 30 days', where: [{ context: 'page.path', operator: 'exists' }] },
      },
    ]);
    expect(pages).toMatchObject({ names: [], anyNameOfTypes: ['page'], types: true, context: true, located: false });
    expect(pages.sinceMs(NOW)).toBe(NOW.getTime() - 30 * DAY);
    const location = realtimeEventNeeds([CONTEXT_GEO_EXAMPLES.storeCatchment.definition]);
    expect(location).toMatchObject({ names: [], types: false, context: true, located: true });
    expect(location.sinceMs(NOW)).toBe(NOW.getTime() - 90 * DAY);
    expect(realtimeEventNeeds([{ type: 'rules', match: { type: 'location', country: ['DE'] } }]).sinceMs(NOW)).toBeNull();
  });

  it('refuses a location that reads further back than the real-time history', () => {
    const limits = { historyDays: 30, now: NOW };
    expect(realtimeProblems(parseSegmentDefinition(rules({ type: 'location', country: ['DE'] })), limits)).toEqual([
      { path: 'definition.match', message: expect.stringContaining('a location without a window reads the profile') },
    ]);
    expect(realtimeProblems(CONTEXT_GEO_EXAMPLES.storeCatchment.definition, limits)).toEqual([
      { path: 'definition.match.window', message: expect.stringContaining('longer than 30 days') },
    ]);
    expect(realtimeProblems(CONTEXT_GEO_EXAMPLES.pricingVisitor.definition, limits)).toEqual([]);
  });

  it('costs a location like an aggregate, a context filter like a property filter, a near filter double', () => {
    expect(definitionCost({ type: 'location', country: ['DE'], window: 'last 30 days' })).toBe(DEFINITION_COST.location);
    expect(definitionCost({ type: 'location', country: ['DE'] })).toBe(
      Math.ceil(DEFINITION_COST.location * DEFINITION_COST.longWindowFactor),
    );
    expect(
      definitionCost({
        type: 'event',
        messageType: 'page',
        window: 'last 30 days',
        where: [{ context: 'page.path', operator: 'exists' }, { near: { ...BERLIN, km: 1 } }],
      }),
    ).toBe(DEFINITION_COST.eventCount + DEFINITION_COST.propertyFilter + DEFINITION_COST.nearFilter);
  });
});
