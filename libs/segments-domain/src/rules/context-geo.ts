import type { EventFilter, LocationCondition, MessageType, NearPoint, ValueOperator } from './definition.schema';
import { SEGMENT_LIFECYCLE_EVENTS } from './semantics';
import { readPath } from './values';

/**
 * Event context, message type and geography: the semantics shared by the SQL compiler
 * (`context-geo-sql.ts`), the in-memory evaluator and the prepared real-time evaluator.
 *
 * - Message type: an event condition with `messageType` reads only events of that type
 *   (`events.type`); without it, events of every type, as before. `event` may be left out for
 *   `page` and `screen` ("viewed any page"): then every event of that type counts.
 * - Context filters read the stored `events.context` by dot path with the 13 value operators,
 *   exactly as property filters read `events.properties`. A missing context is an empty one.
 * - Coordinates are `context.location.latitude` / `.longitude` when they are JSON numbers within
 *   [-90, 90] / [-180, 180]; anything else (strings, out of range, missing) is no coordinate, and
 *   an event without both never matches a `near` filter.
 * - Distance is the haversine great-circle distance on a sphere of radius 6371.0088 km (the IUGG
 *   mean Earth radius). `within km` compares the haversine term h = sin²(Δφ/2) + cos φ₁ cos φ₂
 *   sin²(Δλ/2) with sin²(km / 2R) (equivalent, and no asin per event). Both engines compute the same
 *   IEEE-754 operations in the same order; sin and cos come from different libraries (V8, libm),
 *   so a point within a few nanometres of the circle could be judged differently — nothing closer
 *   can be measured anyway.
 */

export const EARTH_RADIUS_KM = 6371.0088;
/** Math.PI / 180, written out so the SQL text uses the very same double. */
export const RADIANS_PER_DEGREE = 0.017453292519943295;
/** Coordinates above this magnitude are not read as numbers at all (guards the SQL float8 cast). */
export const COORDINATE_GUARD = 1000;

/** A `near` point resolved once: the centre in radians, cos of its latitude, the largest haversine term inside. */
export interface NearBounds {
  latitude: number;
  longitude: number;
  cosLatitude: number;
  maxHaversine: number;
}

export function nearBounds(point: NearPoint): NearBounds {
  const latitude = point.latitude * RADIANS_PER_DEGREE;
  const half = Math.sin(point.km / (2 * EARTH_RADIUS_KM));
  return {
    latitude,
    longitude: point.longitude * RADIANS_PER_DEGREE,
    cosLatitude: Math.cos(latitude),
    maxHaversine: half * half,
  };
}

/** The coordinate at `value`, or undefined (see the module comment). */
export function coordinate(value: unknown, limit: 90 | 180): number | undefined {
  if (typeof value !== 'number' || !(Math.abs(value) <= COORDINATE_GUARD)) return undefined;
  return value >= -limit && value <= limit ? value : undefined;
}

/** Is this location (a `context.location` object) within the bounds? */
export function isNear(location: unknown, bounds: NearBounds): boolean {
  const latitude = coordinate(readPath(location, 'latitude'), 90);
  const longitude = coordinate(readPath(location, 'longitude'), 180);
  if (latitude === undefined || longitude === undefined) return false;
  const phi = latitude * RADIANS_PER_DEGREE;
  const lambda = longitude * RADIANS_PER_DEGREE;
  const a = Math.sin((phi - bounds.latitude) / 2);
  const b = Math.sin((lambda - bounds.longitude) / 2);
  return a * a + bounds.cosLatitude * Math.cos(phi) * b * b <= bounds.maxHaversine;
}

/** Kilometres between two points (for display by explain; verdicts use `isNear`). */
export function distanceKm(from: { latitude: number; longitude: number }, to: { latitude: number; longitude: number }): number {
  const bounds = nearBounds({ ...from, km: 0 });
  const phi = to.latitude * RADIANS_PER_DEGREE;
  const a = Math.sin((phi - bounds.latitude) / 2);
  const b = Math.sin((to.longitude * RADIANS_PER_DEGREE - bounds.longitude) / 2);
  const h = Math.min(1, a * a + bounds.cosLatitude * Math.cos(phi) * b * b);
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

/** The event fields the selectors and filters read. */
export interface ContextEvent {
  name: string | null;
  type?: string | null;
  properties: Record<string, unknown>;
  context?: Record<string, unknown> | null;
}

const LIFECYCLE = SEGMENT_LIFECYCLE_EVENTS as readonly (string | null)[];

/**
 * Does the event have this name and message type? `event` undefined: with a message type, every
 * event of that type; without one, every event but our lifecycle events (recency / frequency).
 */
export function matchesSelector(candidate: ContextEvent, event: string | undefined, messageType: MessageType | undefined): boolean {
  if (messageType !== undefined && candidate.type !== messageType) return false;
  if (event !== undefined) return candidate.name === event;
  return messageType !== undefined || !LIFECYCLE.includes(candidate.name);
}

/** The value a `where` filter reads, for the value-operator filters; `near` has its own test. */
export function filterKind(filter: EventFilter): 'property' | 'context' | 'near' {
  if ('near' in filter && filter.near !== undefined) return 'near';
  if ('context' in filter && filter.context !== undefined) return 'context';
  return 'property';
}

/** A `where` filter resolved once (near bounds computed). */
export type PreparedFilter =
  { kind: 'property' | 'context'; path: string; test: { operator: ValueOperator; value?: unknown } } | { kind: 'near'; bounds: NearBounds };

export function prepareFilter(filter: EventFilter): PreparedFilter {
  const kind = filterKind(filter);
  if (kind === 'near') return { kind, bounds: nearBounds((filter as { near: NearPoint }).near) };
  const test = filter as { property?: string; context?: string; operator: ValueOperator; value?: unknown };
  return { kind, path: (kind === 'context' ? test.context : test.property) as string, test };
}

export function matchesFilter(
  candidate: ContextEvent,
  filter: PreparedFilter,
  valueTest: (value: unknown, test: { operator: ValueOperator; value?: unknown }) => boolean,
): boolean {
  switch (filter.kind) {
    case 'property':
      return valueTest(readPath(candidate.properties, filter.path), filter.test);
    case 'context':
      return valueTest(readPath(candidate.context, filter.path), filter.test);
    case 'near':
      return isNear(readPath(candidate.context, 'location'), filter.bounds);
  }
}

/** The event's location: `context.location` when it is an object with at least one key. */
export function locationOf(candidate: ContextEvent): Record<string, unknown> | undefined {
  const location = readPath(candidate.context, 'location');
  if (location === null || typeof location !== 'object' || Array.isArray(location)) return undefined;
  return Object.keys(location).length > 0 ? (location as Record<string, unknown>) : undefined;
}

/** A location condition's criteria resolved once. */
export interface LocationTest {
  node: LocationCondition;
  near: NearBounds | undefined;
}

export function prepareLocation(node: LocationCondition): LocationTest {
  return { node, near: node.near ? nearBounds(node.near) : undefined };
}

/**
 * Does one location satisfy every criterion given? country / region / city: the field is one of the
 * strings (exactly, as `in`); postalCode: a string starting with one of the prefixes; near: within km.
 */
export function matchesLocation(
  location: Record<string, unknown>,
  test: LocationTest,
  valueTest: (value: unknown, test: { operator: ValueOperator; value?: unknown }) => boolean,
): boolean {
  const { node } = test;
  for (const field of ['country', 'region', 'city'] as const) {
    const wanted = node[field];
    if (wanted && !valueTest(location[field], { operator: 'in', value: wanted })) return false;
  }
  if (node.postalCode && !node.postalCode.some((prefix) => valueTest(location.postalCode, { operator: 'starts_with', value: prefix })))
    return false;
  return test.near === undefined || isNear(location, test.near);
}

/**
 * The location condition over a profile's events (any order): its last known location at `now` is
 * that of the latest located event in the window; when several located events share that latest
 * instant, the condition holds if one of them satisfies it (no arbitrary pick: both engines agree
 * whatever the order). A location with only a country is still the last known location: region,
 * city, postal code and distance criteria are then false (older, fuller locations are not merged in).
 */
export function lastLocationMatches(
  located: readonly { timestamp: number; location: Record<string, unknown> }[],
  test: LocationTest,
  valueTest: (value: unknown, test: { operator: ValueOperator; value?: unknown }) => boolean,
): boolean {
  let latest = -Infinity;
  for (const event of located) if (event.timestamp > latest) latest = event.timestamp;
  return located.some((event) => event.timestamp === latest && matchesLocation(event.location, test, valueTest));
}
