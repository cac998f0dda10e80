import type { EventFilter, LocationCondition, MessageType, ValueOperator } from './definition.schema';
import { COORDINATE_GUARD, NearBounds, RADIANS_PER_DEGREE, filterKind, nearBounds } from './context-geo';

/**
 * The SQL of event context, message type and geography (semantics: context-geo.ts). Only SQL
 * written here goes into the text; every value of the definition is bound through `parts.bind`.
 */
export interface SqlParts {
  bind(value: unknown): string;
  /** A never-NULL boolean: the value operator applied to `<column>` at the dot path. */
  valueCondition(column: string, path: string, test: { operator: ValueOperator; value?: unknown }): string;
}

/** The event's `context.location` (NULL when there is no context or no location). */
export const EVENT_LOCATION = `(e.context -> 'location')`;

/** `e.type = $n` when the condition names a message type. */
export function messageTypeSql(parts: SqlParts, messageType: MessageType | undefined): string[] {
  return messageType === undefined ? [] : [`e.type = ${parts.bind(messageType)}`];
}

/** One `where` filter of an event condition, a never-NULL boolean over `e`. */
export function eventFilterSql(parts: SqlParts, filter: EventFilter): string {
  switch (filterKind(filter)) {
    case 'near':
      return nearSql(parts, nearBounds((filter as { near: NonNullable<LocationCondition['near']> }).near), 'g');
    case 'context': {
      const test = filter as { context: string; operator: ValueOperator; value?: unknown };
      return parts.valueCondition('e.context', test.context, test);
    }
    case 'property': {
      const test = filter as { property: string; operator: ValueOperator; value?: unknown };
      return parts.valueCondition('e.properties', test.property, test);
    }
  }
}

/**
 * A coordinate as float8, or NULL when it is not a JSON number (or absurdly large: no float8
 * overflow). `location` is `e.context` (read by the path `{location,<key>}`, no copy of the location
 * object per use) or a location jsonb.
 */
function coordinateSql(location: string, key: 'latitude' | 'longitude'): string {
  const value = location === 'e.context' ? `(e.context #> '{location,${key}}')` : `(${location} -> '${key}')`;
  return `CASE WHEN jsonb_typeof(${value}) = 'number' THEN CASE WHEN abs((${value})::numeric) <= ${COORDINATE_GUARD} THEN (${value})::float8 END END`;
}

/**
 * The coordinates of a location jsonb, extracted once per row as `g.latitude` / `g.longitude`
 * (OFFSET 0 keeps the planner from pulling the sub-select up and repeating the extraction in every
 * use: at 1M events that repetition made the distance test several times slower).
 */
export function coordinatesLateral(location: string): string {
  return `CROSS JOIN LATERAL (SELECT ${coordinateSql(location, 'latitude')} AS latitude, ${coordinateSql(location, 'longitude')} AS longitude OFFSET 0) g`;
}

/** `events e`, with the coordinates joined when a `near` filter reads them. */
export function eventsFromSql(filters: readonly EventFilter[]): string {
  return filters.some((filter) => filterKind(filter) === 'near') ? `events e ${coordinatesLateral('e.context')}` : 'events e';
}

/**
 * Are `<alias>.latitude` / `<alias>.longitude` (coordinates extracted once: `coordinatesLateral`,
 * or columns of the location sub-select) within the bounds (haversine term, same operations as
 * `isNear`)? Never NULL.
 */
export function nearSql(parts: SqlParts, bounds: NearBounds, alias: string): string {
  const latitude = `${alias}.latitude`;
  const longitude = `${alias}.longitude`;
  const phi = `(${latitude} * ${RADIANS_PER_DEGREE}::float8)`;
  const lambda = `(${longitude} * ${RADIANS_PER_DEGREE}::float8)`;
  const a = `sin((${phi} - ${parts.bind(bounds.latitude)}::float8) / 2)`;
  const b = `sin((${lambda} - ${parts.bind(bounds.longitude)}::float8) / 2)`;
  return (
    `COALESCE(${latitude} BETWEEN -90 AND 90 AND ${longitude} BETWEEN -180 AND 180 AND ` +
    `${a} * ${a} + ${parts.bind(bounds.cosLatitude)}::float8 * cos(${phi}) * ${b} * ${b} <= ${parts.bind(bounds.maxHaversine)}::float8, false)`
  );
}

/**
 * Every criterion of a location condition over a location jsonb (`near`: over the columns
 * `<coordinates>.latitude` and `<coordinates>.longitude`), a never-NULL boolean. A list of strings is one containment test: unlike the `in`
 * operator's `IN (SELECT jsonb_array_elements(...))`, a sub-plan, the planner can evaluate it in
 * parallel workers (the last-location sort runs there).
 */
export function locationCriteriaSql(parts: SqlParts, node: LocationCondition, location: string, coordinates = 'l'): string {
  const tests: string[] = [];
  for (const field of ['country', 'region', 'city'] as const) {
    const wanted = node[field];
    // Containment in the wanted strings is their jsonb equality (`in`), and no sub-plan: parallel-safe.
    if (wanted) tests.push(`${parts.bind(JSON.stringify(wanted))}::jsonb @> jsonb_build_array(${location} -> '${field}')`);
  }
  if (node.postalCode) {
    const prefixes = node.postalCode.map((prefix) =>
      parts.valueCondition(location, 'postalCode', { operator: 'starts_with', value: prefix }),
    );
    tests.push(`(${prefixes.join(' OR ')})`);
  }
  if (node.near) tests.push(nearSql(parts, nearBounds(node.near), coordinates));
  return `(${tests.join(' AND ')})`;
}

/**
 * The profiles whose last known location satisfies the condition. Without `near`: per profile, the
 * first event in the order (located first, latest first, meeting the criteria first), kept when it
 * is located and meets them — so on a tie at the latest time any of the tied events may meet them.
 * Only the cheap `?` key test is in WHERE: the object / non-empty tests are sort keys, because in
 * WHERE the planner under-estimated the rows ~100×. The sort carries the profile, the time and two
 * booleans computed in the scan, in parallel workers (not the location: a window function over those
 * wider rows spilled at 1M profiles). With `near` the coordinates are extracted once per event
 * first: `lastNearLocationSetSql`.
 */
export function lastLocationSetSql(parts: SqlParts, node: LocationCondition, windowTests: string[]): string {
  if (node.near) return lastNearLocationSetSql(parts, node, windowTests);
  const located = `(jsonb_typeof(${EVENT_LOCATION}) = 'object' AND ${EVENT_LOCATION} <> '{}'::jsonb)`;
  const criteria = locationCriteriaSql(parts, node, EVENT_LOCATION);
  return (
    `SELECT first_event.profile_id FROM (SELECT DISTINCT ON (e.profile_id) e.profile_id, ${located} AS located, ${criteria} AS matching ` +
    `FROM events e WHERE ${[`e.context ? 'location'`, ...windowTests].join(' AND ')} ` +
    `ORDER BY e.profile_id, 2 DESC, e.timestamp DESC, 3 DESC) first_event WHERE first_event.located AND first_event.matching`
  );
}

/**
 * `lastLocationSetSql` with `near`: the same first-event order (located first, latest first,
 * meeting the criteria first), over a sub-select `g` that extracts each located event's coordinates
 * once (OFFSET 0 keeps the planner from pulling it up and extracting them again in every use of the
 * distance test). The sort then carries the profile, the time and two booleans. The earlier shape, a
 * `max(timestamp) OVER (PARTITION BY profile_id)` over rows carrying both coordinates, spilled its
 * sort and took ~1.6x the time of this one at 100k profiles (bench/README.md).
 */
function lastNearLocationSetSql(parts: SqlParts, node: LocationCondition, windowTests: string[]): string {
  const located = `(jsonb_typeof(${EVENT_LOCATION}) = 'object' AND ${EVENT_LOCATION} <> '{}'::jsonb)`;
  // The location itself only for the string criteria.
  const needsLocation = node.country || node.region || node.city || node.postalCode;
  const extracted =
    `SELECT e.profile_id, e.timestamp, ${located} AS located, ${needsLocation ? `${EVENT_LOCATION} AS location, ` : ''}` +
    `${coordinateSql('e.context', 'latitude')} AS latitude, ${coordinateSql('e.context', 'longitude')} AS longitude ` +
    `FROM events e WHERE ${[`e.context ? 'location'`, ...windowTests].join(' AND ')} OFFSET 0`;
  return (
    `SELECT first_event.profile_id FROM (SELECT DISTINCT ON (g.profile_id) g.profile_id, g.located, ` +
    `${locationCriteriaSql(parts, node, 'g.location', 'g')} AS matching FROM (${extracted}) g ` +
    `ORDER BY g.profile_id, 2 DESC, g.timestamp DESC, 3 DESC) first_event WHERE first_event.located AND first_event.matching`
  );
}
