import { assertNever } from '@audiencekit/util';
import { propertyFiltersSql } from '../rules/compile-sql';
import { SqlParameters, windowSql } from '../sql/sql-parameters';
import type { CompiledSql } from '../sql/sql-parameters';
import { AVG_DECIMALS } from './compute-trait';
import type { PropertyFilter } from '../rules/definition.schema';
import { isSignalFilter, type ComputedTraitDefinition } from './computed-trait-definition.schema';

/** Live profiles only: merged-away and erased profiles get no value. */
const LIVE = `p.merged_into IS NULL AND p.deleted_at IS NULL`;

/**
 * The definition for ALL live profiles as one SELECT of `(profile_id uuid, value jsonb)`, one row
 * per profile with a value (the twin of `computeTraitValue`, proved equal by the differential
 * test in libs/segments-service). Every user value (event name, paths, filter operands, window
 * bounds) is a bind parameter.
 */
export function compileComputedTraitSelect(definition: ComputedTraitDefinition, options: { now: Date }): CompiledSql {
  const params = new SqlParameters();
  const text = selectSql(definition, options.now, params);
  return { text, values: params.values };
}

/**
 * The same `(profile_id, value)` SELECT as {@link compileComputedTraitSelect}, binding into the
 * caller's parameters so it can be embedded in a larger query (model features as of a cutoff).
 */
export function computedTraitValuesSql(definition: ComputedTraitDefinition, now: Date, params: SqlParameters): string {
  return selectSql(definition, now, params);
}

/** Who writes: the trait, its version, its key, and the instant stored as `computed_at` of the values this run changes. */
export interface TraitRefreshTarget {
  traitId: string;
  version: number;
  key: string;
  computedAt: Date;
}

/**
 * One set-wise statement refreshing a computed trait for every profile: computes the values
 * (`compileComputedTraitSelect`), upserts those that changed (or whose version changed) into
 * `computed_trait_values` (INSERT … SELECT … ON CONFLICT, never over a row another source owns),
 * deletes the trait's rows of profiles that no longer have a value, and returns
 * `upserted`, `deleted`, `with_value`. An unchanged value is not rewritten: `computed_at` is when
 * the value last changed.
 */
export function compileComputedTraitRefresh(
  definition: ComputedTraitDefinition,
  target: TraitRefreshTarget,
  options: { now: Date },
): CompiledSql {
  const params = new SqlParameters();
  const select = selectSql(definition, options.now, params);
  const key = params.bind(target.key);
  const id = params.bind(target.traitId);
  const version = params.bind(target.version);
  const at = params.bind(target.computedAt.toISOString());
  // `changes` compares the computed set with the stored one by a FULL JOIN, which Postgres can
  // only run as a hash or merge join, never as a nested loop: a NOT EXISTS anti-join against the
  // computed set was planned as a loop rescanning it per stored row when computed_trait_values had
  // no statistics (quadratic: > 13 min at 100k profiles). Only changed rows reach the INSERT
  // (1M conflicting no-op upserts cost ~15 s of a 32 s re-run). The delete finds its rows by the
  // ctid `stored` read in the same snapshot (already this trait's key and source), with no other
  // filter on the table: a filter would let a planner without statistics estimate one row and
  // rescan `changes` per row again. A row changed meanwhile has a new ctid and is left alone.
  const text = `WITH computed AS MATERIALIZED (${select}),
stored AS MATERIALIZED (
  SELECT s.ctid AS row_id, s.profile_id, s.value, s.source_version FROM computed_trait_values s
   WHERE s.key = ${key} AND s.source_kind = 'computed' AND s.source_id = ${id}::uuid
), changes AS MATERIALIZED (
  SELECT c.profile_id, c.value, s.row_id AS gone_row_id
    FROM computed c FULL JOIN stored s ON s.profile_id = c.profile_id
   WHERE c.profile_id IS NULL OR s.profile_id IS NULL OR s.value IS DISTINCT FROM c.value OR s.source_version IS DISTINCT FROM ${version}::int
), upserted AS (
  INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
  SELECT ch.profile_id, ${key}, ch.value, 'computed', ${id}::uuid, ${version}::int, ${at}::timestamptz FROM changes ch WHERE ch.profile_id IS NOT NULL
  ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
   WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
     AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
  RETURNING 1
), deleted AS (
  DELETE FROM computed_trait_values v USING changes ch
   WHERE ch.profile_id IS NULL AND v.ctid = ch.gone_row_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM computed)::int AS with_value`;
  return { text, values: params.values };
}

/**
 * The distribution of the values before saving, written nowhere: live profiles, those with a
 * value, numeric figures (count, min, max, mean of the numbers) and the 10 most frequent values.
 * One row: `profiles, with_value, numeric, min, max, mean, top` (`top`: jsonb array of `{value, count}`).
 */
export function compileComputedTraitPreview(definition: ComputedTraitDefinition, options: { now: Date }): CompiledSql {
  const params = new SqlParameters();
  const select = selectSql(definition, options.now, params);
  const text = `WITH computed AS MATERIALIZED (${select}),
numbers AS (SELECT (c.value #>> '{}')::numeric AS n FROM computed c WHERE jsonb_typeof(c.value) = 'number')
SELECT (SELECT count(*) FROM profiles p WHERE ${LIVE})::int AS profiles,
       (SELECT count(*) FROM computed)::int AS with_value,
       (SELECT count(*) FROM numbers)::int AS numeric,
       (SELECT min(n) FROM numbers)::text AS min,
       (SELECT max(n) FROM numbers)::text AS max,
       (SELECT round(avg(n), ${AVG_DECIMALS}) FROM numbers)::text AS mean,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('value', t.value, 'count', t.n) ORDER BY t.n DESC, t.value), '[]'::jsonb)
          FROM (SELECT c.value, count(*) AS n FROM computed c GROUP BY c.value ORDER BY n DESC, c.value LIMIT 10) t) AS top`;
  return { text, values: params.values };
}

/** A histogram of the numeric values in `buckets` equal buckets over [min, max] (`bucket` 1..buckets, `count`). */
export function compileComputedTraitHistogram(
  definition: ComputedTraitDefinition,
  range: { min: string; max: string; buckets: number },
  options: { now: Date },
): CompiledSql {
  const params = new SqlParameters();
  const select = selectSql(definition, options.now, params);
  const low = params.bind(range.min);
  const high = params.bind(range.max);
  const buckets = params.bind(range.buckets);
  const text = `WITH computed AS MATERIALIZED (${select})
SELECT least(width_bucket((c.value #>> '{}')::numeric, ${low}::numeric, ${high}::numeric, ${buckets}::int), ${buckets}::int) AS bucket, count(*)::int AS count
  FROM computed c WHERE jsonb_typeof(c.value) = 'number' GROUP BY 1 ORDER BY 1`;
  return { text, values: params.values };
}

function selectSql(definition: ComputedTraitDefinition, now: Date, params: SqlParameters): string {
  const tests = [`e.name = ${params.bind(definition.event)}`, windowSql(definition.window, now, params)];
  const where = definition.where ?? [];
  tests.push(...propertyFiltersSql(where.filter((filter) => !isSignalFilter(filter)) as PropertyFilter[], params.values));
  const signalFilters = where.filter(isSignalFilter).map(({ signal, operator, value }) => ({ property: signal, operator, value }));
  tests.push(...propertyFiltersSql(signalFilters, params.values, 'e.signals'));
  const value = valueSql(definition, params);
  const present = value === undefined ? 'true' : `COALESCE(jsonb_typeof(${value}), 'null') <> 'null'`;
  const scalar = value === undefined ? 'false' : `jsonb_typeof(${value}) IN ('string', 'number', 'boolean')`;
  const numeric = value === undefined ? 'NULL' : `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::numeric END`;
  const events = `FROM events e WHERE ${tests.join(' AND ')}`;
  const live = (inner: string) => `SELECT t.profile_id, t.value FROM (${inner}) t JOIN profiles p ON p.id = t.profile_id WHERE ${LIVE}`;
  const zeroForAll = (aggregate: string) =>
    `SELECT p.id AS profile_id, to_jsonb(COALESCE(a.n, 0)) AS value FROM profiles p
       LEFT JOIN (SELECT e.profile_id, ${aggregate} AS n ${events} GROUP BY e.profile_id) a ON a.profile_id = p.id
      WHERE ${LIVE}`;
  switch (definition.function) {
    case 'count':
      return zeroForAll(value === undefined ? 'count(*)' : `count(*) FILTER (WHERE ${present})`);
    case 'distinct_count':
      return zeroForAll(`count(DISTINCT ${value}) FILTER (WHERE ${scalar})`);
    case 'sum':
    case 'min':
    case 'max':
      return live(`SELECT e.profile_id, to_jsonb(${definition.function}(${numeric})) AS value ${events} AND ${present} GROUP BY e.profile_id
        HAVING count(${numeric}) > 0`);
    case 'avg': {
      // sum / count rounded half away from zero to AVG_DECIMALS places, exactly: div() truncates, the extra digit rounds.
      const scaled = `div(sum(${numeric}) * ${params.bind(10n ** BigInt(AVG_DECIMALS + 1) + '')}::numeric, count(${numeric}))`;
      return live(`SELECT a.profile_id, to_jsonb((div(a.q, 10) + CASE WHEN abs(mod(a.q, 10)) >= 5 THEN sign(a.q) ELSE 0 END)
          * ${params.bind(`0.${'0'.repeat(AVG_DECIMALS - 1)}1`)}::numeric) AS value
        FROM (SELECT e.profile_id, ${scaled} AS q ${events} AND ${present} GROUP BY e.profile_id HAVING count(${numeric}) > 0) a`);
    }
    case 'first':
    case 'last': {
      const direction = definition.function === 'first' ? 'ASC' : 'DESC';
      return live(`SELECT DISTINCT ON (e.profile_id) e.profile_id, ${value} AS value ${events} AND ${present}
        ORDER BY e.profile_id, e.timestamp ${direction}, e.id ${direction}`);
    }
    case 'most_frequent':
      return live(`SELECT DISTINCT ON (f.profile_id) f.profile_id, f.value FROM (
          SELECT e.profile_id, ${value} AS value, e.timestamp, e.id,
                 count(*) OVER (PARTITION BY e.profile_id, ${value}) AS n,
                 row_number() OVER (PARTITION BY e.profile_id, ${value} ORDER BY e.timestamp DESC, e.id DESC) AS r
            ${events} AND ${scalar}) f
        WHERE f.r = 1 ORDER BY f.profile_id, f.n DESC, f.timestamp DESC, f.id DESC`);
    default:
      return assertNever(definition.function, 'function');
  }
}

/** The jsonb value a definition reads: its `property` of `e.properties` or its `signal` of `e.signals`; undefined for neither. */
function valueSql(definition: ComputedTraitDefinition, params: SqlParameters): string | undefined {
  if (definition.property !== undefined) return jsonPath('e.properties', definition.property, params);
  if (definition.signal !== undefined) return jsonPath('e.signals', definition.signal, params);
  return undefined;
}

/** The jsonb at a dot path of a jsonb column (`->` for one key, `#>` for nested), as the rules read properties. */
function jsonPath(column: string, path: string, params: SqlParameters): string {
  const keys = path.split('.');
  return keys.length === 1 ? `(${column} -> ${params.bind(path)}::text)` : `(${column} #> ${params.bind(keys)}::text[])`;
}
