import { EntityManager } from 'typeorm';

/** Every SQL string of the catalogue (golden SQL: src/__golden__/catalogue.repository.sql). */

// One catalogue fold at a time across workers (a constant advisory-lock key: 'ak:catalogue').
const FOLD_LOCK_KEY = 0x616b_6361;
/**
 * Keys never listed: a key with an `@` (a payload keyed by email addresses would put them in the
 * catalogue) or with a numeric segment (`items.0`, a phone number as a key; definitions cannot
 * address numeric segments anyway).
 */
export const UNLISTED_KEY = '@|(^|\\.)[-+]?[0-9]+(\\.|$)';
/** Examples are drawn from about this many events of a fold (all of a small one). */
export const EXAMPLE_SAMPLE_EVENTS = 50_000;
/** A value becomes an example only when this many distinct profiles sent it within one fold. */
export const EXAMPLE_MIN_PROFILES = 3;
/** Examples kept per key. */
export const MAX_EXAMPLES = 5;
/** Longer values are never examples (free text, tokens). */
const MAX_EXAMPLE_LENGTH = 200;

/**
 * A half-open range of `received_at`, as Postgres text (exact to the microsecond, and `-infinity`
 * before the first fold).
 */
export interface FoldWindow {
  from: string;
  /** Exclusive: every transaction that could still insert an event before it has ended. */
  until: string;
  /** until > from */
  nonEmpty: boolean;
}

/** Takes the fold lock for this transaction; false when another worker is folding. */
export async function tryFoldLock(manager: EntityManager): Promise<boolean> {
  const [row] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [FOLD_LOCK_KEY]);
  return row.locked === true;
}

/**
 * The watermark and the horizon of this fold. `received_at` defaults to now(), the start of the
 * inserting transaction, and transactions commit out of order: an event with an older
 * `received_at` than the watermark may still be on its way. So the horizon is the start of the
 * oldest transaction still open on this database (any client backend but ours), or now() when none
 * is: every event below it is committed or never will be.
 */
export async function foldWindow(manager: EntityManager): Promise<FoldWindow> {
  const [row] = await manager.query(
    `SELECT w.folded_until::text AS "from", w.horizon::text AS "until", w.horizon > w.folded_until AS "nonEmpty"
       FROM (SELECT s.folded_until,
                    least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                                   WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                                     AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL)) AS horizon
               FROM catalogue_state s FOR UPDATE) w`,
  );
  return { from: row.from, until: row.until, nonEmpty: row.nonEmpty };
}

/**
 * Adds the window's events to the per-name counts; returns the number of named events folded and
 * the number of events of the window (identify calls included).
 */
export async function foldEventNames(manager: EntityManager, window: FoldWindow): Promise<{ named: number; all: number }> {
  const rows: { event_count: string; all_count: string }[] = await manager.query(
    `WITH window_events AS (
       SELECT e.name, count(*) AS event_count, min(e.timestamp) AS first_seen_at, max(e.timestamp) AS last_seen_at
         FROM events e
        WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz
        GROUP BY e.name
     ), batch AS (
       SELECT * FROM window_events WHERE name IS NOT NULL
     ), upserted AS (
       INSERT INTO catalogue_events AS c (name, event_count, first_seen_at, last_seen_at)
       SELECT name, event_count, first_seen_at, last_seen_at FROM batch
       ON CONFLICT (name) DO UPDATE SET
         event_count = c.event_count + excluded.event_count,
         first_seen_at = least(c.first_seen_at, excluded.first_seen_at),
         last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at)
     )
     SELECT coalesce(sum(event_count) FILTER (WHERE name IS NOT NULL), 0)::text AS event_count, coalesce(sum(event_count), 0)::text AS all_count
       FROM window_events`,
    [window.from, window.until],
  );
  return { named: Number(rows[0]?.event_count ?? 0), all: Number(rows[0]?.all_count ?? 0) };
}

/**
 * The rows of `source` (scope, event_name, profile_id, timestamp, document) as one row per key:
 * top-level keys and, for object values, their keys as `parent.child` (two levels; deeper objects
 * show as type object).
 */
function flattened(source: string): string {
  return `SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key, k1.value
              FROM ${source} s CROSS JOIN LATERAL jsonb_each(s.document) k1
            UNION ALL
            SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key || '.' || k2.key, k2.value
              FROM ${source} s CROSS JOIN LATERAL jsonb_each(s.document) k1
                   CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(k1.value) = 'object' THEN k1.value ELSE '{}'::jsonb END) k2`;
}

/**
 * Adds the window's property keys (named events) and trait keys (identify calls, whose properties
 * are the traits) to `catalogue_keys`: types, counts and last time from every event of the window;
 * examples from a sample of it (one event in `sampleEvery`, by a hash of its id, so a large backfill stays cheap),
 * among the values at least EXAMPLE_MIN_PROFILES profiles sent, most frequent first (examples
 * already stored stay first).
 */
export async function foldKeys(manager: EntityManager, window: FoldWindow, sampleEvery: number): Promise<void> {
  await manager.query(
    `WITH source AS NOT MATERIALIZED (
       SELECT CASE WHEN e.type = 'identify' THEN 'trait' ELSE 'event' END AS scope,
              coalesce(e.name, '') AS event_name, e.id, e.profile_id, e.timestamp, e.properties AS document
         FROM events e
        WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz
          AND (e.name IS NOT NULL OR e.type = 'identify') AND jsonb_typeof(e.properties) = 'object' AND e.properties <> '{}'::jsonb
     ), sample AS NOT MATERIALIZED (
       SELECT * FROM source WHERE (hashint8(id) & 2147483647) % $3 = 0
     ), typed AS (
       SELECT scope, event_name, key, jsonb_typeof(value) AS type, count(*) AS value_count, max(timestamp) AS last_seen_at
         FROM (${flattened('source')}) f
        WHERE f.key !~ $7
        GROUP BY scope, event_name, key, jsonb_typeof(value)
     ), keys AS (
       SELECT scope, event_name, key, array_agg(type ORDER BY type) AS types, sum(value_count) AS value_count, max(last_seen_at) AS last_seen_at
         FROM typed GROUP BY scope, event_name, key
     ), shared_values AS (
       SELECT scope, event_name, key, value, count(*) AS uses
         FROM (${flattened('sample')}) f
        WHERE jsonb_typeof(value) IN ('string', 'number', 'boolean') AND length(value::text) <= $5 AND f.key !~ $7
        GROUP BY scope, event_name, key, value
       HAVING count(DISTINCT profile_id) >= $4
     ), ranked AS (
       SELECT scope, event_name, key, value, row_number() OVER (PARTITION BY scope, event_name, key ORDER BY uses DESC, value) AS rank
         FROM shared_values
     ), examples AS (
       SELECT scope, event_name, key, jsonb_agg(value ORDER BY rank) AS examples
         FROM ranked WHERE rank <= $6 GROUP BY scope, event_name, key
     )
     INSERT INTO catalogue_keys AS c (scope, event_name, key, types, value_count, last_seen_at, examples)
     SELECT k.scope, k.event_name, k.key, k.types, k.value_count, k.last_seen_at, coalesce(x.examples, '[]'::jsonb)
       FROM keys k LEFT JOIN examples x USING (scope, event_name, key)
     ON CONFLICT (scope, event_name, key) DO UPDATE SET
       types = ARRAY(SELECT DISTINCT t FROM unnest(c.types || excluded.types) t ORDER BY t),
       value_count = c.value_count + excluded.value_count,
       last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at),
       examples = (SELECT coalesce(jsonb_agg(v ORDER BY position), '[]'::jsonb)
                     FROM (SELECT v, min(position) AS position
                             FROM jsonb_array_elements(c.examples || excluded.examples) WITH ORDINALITY AS t(v, position)
                            GROUP BY v ORDER BY min(position) LIMIT $6) kept)`,
    [window.from, window.until, sampleEvery, EXAMPLE_MIN_PROFILES, MAX_EXAMPLE_LENGTH, MAX_EXAMPLES, UNLISTED_KEY],
  );
}

/** Moves the watermark to the fold's horizon. */
export async function advanceWatermark(manager: EntityManager, until: string, events: number): Promise<void> {
  await manager.query(`UPDATE catalogue_state SET folded_until = $1::timestamptz, folded_at = now(), events_folded = events_folded + $2`, [
    until,
    events,
  ]);
}

export interface CatalogueStateRow {
  folded_until: Date;
  folded_at: Date | null;
  events_folded: string;
}

export async function readState(manager: EntityManager): Promise<CatalogueStateRow> {
  const [row] = await manager.query(`SELECT folded_until, folded_at, events_folded::text AS events_folded FROM catalogue_state`);
  return row;
}

export interface CatalogueEventRow {
  name: string;
  event_count: string;
  first_seen_at: Date;
  last_seen_at: Date;
}

/**
 * Event names, most frequent first, optionally by case-insensitive prefix. Reads only the
 * catalogue (a few rows per distinct name), never `events`.
 */
export async function listEventNames(manager: EntityManager, prefix: string, limit: number): Promise<CatalogueEventRow[]> {
  return manager.query(
    `SELECT name, event_count::text AS event_count, first_seen_at, last_seen_at
       FROM catalogue_events
      WHERE left(lower(name), length($1)) = lower($1)
      ORDER BY event_count DESC, name
      LIMIT $2`,
    [prefix, limit],
  );
}

export interface CatalogueKeyRow {
  key: string;
  types: string[];
  value_count: string;
  last_seen_at: Date;
  examples: unknown[];
}

/** Keys of one scope ('' as the event name for traits), most frequent first, by prefix. */
export async function listKeys(
  manager: EntityManager,
  scope: 'event' | 'trait',
  eventName: string,
  prefix: string,
  limit: number,
): Promise<CatalogueKeyRow[]> {
  return manager.query(
    `SELECT key, types, value_count::text AS value_count, last_seen_at, examples
       FROM catalogue_keys
      WHERE scope = $1 AND event_name = $2 AND left(lower(key), length($3)) = lower($3)
      ORDER BY value_count DESC, key
      LIMIT $4`,
    [scope, eventName, prefix, limit],
  );
}
