import { computedTraitValuesSql } from '../computed-traits/compile-trait-sql';
import type { ComputedTraitDefinition, TraitFunction } from '../computed-traits/computed-trait-definition.schema';
import { purchaseAggregatesSql } from '../rfm/compile-rfm-sql';
import { type CompiledSql, SqlParameters, windowSql } from '../sql/sql-parameters';
import type { FeatureSpec, FittedDefinition, PropensityOutcome } from './model-definitions.schema';

const DAY_MS = 86_400_000;

/** The query of {@link compileFeatureSql}: `profile_id`, `f0..fN` (one per feature), and `outcome` when asked. */
export type FeatureSql = CompiledSql;

/** A computed trait a model reads, as resolved when it was fitted (stored with the model version). */
export interface ResolvedComputedTrait {
  version: number;
  definition: ComputedTraitDefinition;
}

/** What the feature query needs beyond the definition: the computed traits' definitions, by key. */
export interface FeatureSqlContext {
  computedTraits?: Readonly<Record<string, ResolvedComputedTrait>>;
}

export type FeatureKind = 'numeric' | 'categorical';

/** Functions whose values are numbers; the others (first, last, most_frequent) default to categorical. */
const NUMERIC_TRAIT_FUNCTIONS: ReadonlySet<TraitFunction> = new Set(['count', 'sum', 'avg', 'min', 'max', 'distinct_count']);

/**
 * Whether each feature is a number or a categorical (one-hot) value: `kind` when given; for a
 * computed trait without one, from its function; `event_property` is always categorical.
 * @throws {FeatureSourceException} when a computed trait feature's key is not in `context`.
 */
export function featureKinds(definition: FittedDefinition, context: FeatureSqlContext = {}): FeatureKind[] {
  return definition.features.map((feature, index): FeatureKind => {
    switch (feature.source) {
      case 'trait':
        return feature.kind ?? 'numeric';
      case 'event_property':
        return 'categorical';
      case 'computed_trait':
        return (
          feature.kind ??
          (NUMERIC_TRAIT_FUNCTIONS.has(resolvedTrait(feature.key, index, context).definition.function) ? 'numeric' : 'categorical')
        );
      default:
        return 'numeric';
    }
  });
}

/** A feature that cannot be built: the `index` of the feature and why. */
export class FeatureSourceException extends Error {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`features.${index}: ${reason}`);
    this.name = 'FeatureSourceException';
  }
}

/**
 * The feature matrix of a cluster / propensity definition's population as of `asOf` as ONE
 * parameterised query: one row per live profile first seen by then, columns `profile_id`,
 * `stable_key`, `f0`…`fN` (the definition's features, in order: float8 for numeric ones, text for
 * categorical ones, null = missing; purchase features from the RFM purchase aggregates of the
 * definition's window; computed traits computed from their definition as of `asOf`) and, with
 * `outcome`, the boolean `outcome`: "performed `outcome.event` in (asOf, asOf + withinDays]", or for
 * a churn outcome "did NOT perform it then".
 * A `{ segment }` population keeps the segment's current members only; a churn definition keeps
 * the profiles active in its lookback before `asOf` (at fit and at refresh alike).
 * Rows are ordered by `stable_key` in byte order (COLLATE "C", whatever the database's locale): the
 * profile's first user id, else email, phone, anonymous id (as `type:value`), the profile id only
 * for a profile with no identifier. So the same data gives the same rows in the same order on every
 * installation, and the seeded split hashes these keys, never the random profile ids.
 * @throws {FeatureSourceException} when a computed trait feature's key is not in `context`.
 * @example compileFeatureSql(clusterDefinition, new Date('2026-01-01T00:00:00Z')).text // SELECT f.*, … AS stable_key FROM (SELECT p.id AS profile_id, …) f ORDER BY stable_key, f.profile_id
 */
export function compileFeatureSql(
  definition: FittedDefinition,
  asOf: Date,
  outcome?: PropensityOutcome,
  context: FeatureSqlContext = {},
): FeatureSql {
  const params = new SqlParameters();
  const asOfParam = `${params.bind(asOf.toISOString())}::timestamptz`;
  const joins: string[] = [];
  const kinds = featureKinds(definition, context);
  const build: FeatureBuild = { definition, asOf, asOfParam, params, joins, context };
  const columns = definition.features.map((feature, index) => `${featureColumnSql(feature, index, kinds[index], build)} AS f${index}`);
  const aggregates = purchaseAggregatesSql(definition, asOf, params);
  const label = outcome
    ? `, ${outcome.kind === 'churn' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = ${params.bind(outcome.event)}
           AND e.timestamp > ${asOfParam} AND e.timestamp <= ${params.bind(new Date(asOf.getTime() + outcome.withinDays * DAY_MS).toISOString())}::timestamptz) AS outcome`
    : '';
  const active = activeBeforeSql(definition, asOf, asOfParam, params);
  const members =
    typeof definition.population === 'object'
      ? ` AND EXISTS (SELECT 1 FROM segment_memberships m JOIN segments sg ON sg.id = m.segment_id
           WHERE m.profile_id = p.id AND sg.deleted_at IS NULL AND (sg.key = ${params.bind(definition.population.segment)} OR sg.id::text = $${params.values.length}))`
      : '';
  // The inner ORDER BY p.id is kept for the planner: on tables not analysed yet (right after an
  // import) it makes Postgres merge-join the aggregates; without it a nested loop re-ran them per
  // profile (over 20 s instead of about 1 s on the 3,569 customers of the retail sample).
  const text = `SELECT f.*, ${STABLE_KEY_SQL} AS stable_key FROM (SELECT p.id AS profile_id, ${columns.join(', ')}${label}
      FROM profiles p
      ${definition.population === 'purchasers' ? 'JOIN' : 'LEFT JOIN'} (${aggregates}) a ON a.profile_id = p.id
      ${joins.join('\n')}
      WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND (p.first_seen_at IS NULL OR p.first_seen_at <= ${asOfParam})${members}${active}
      ORDER BY p.id) f
      ORDER BY stable_key, f.profile_id`;
  return { text, values: params.values };
}

/** A profile's stable key: its first identifier by kind (user id, email, phone, anonymous id) and value, as `type:value`, compared bytewise. */
const STABLE_KEY_SQL = `coalesce((SELECT i.type || ':' || i.value FROM identities i WHERE i.profile_id = f.profile_id
        ORDER BY CASE i.type WHEN 'user_id' THEN 0 WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END, i.value COLLATE "C" LIMIT 1),
        'profile_id:' || f.profile_id::text) COLLATE "C"`;

/** A churn definition's "active before `asOf`" filter (empty for other definitions). */
function activeBeforeSql(definition: FittedDefinition, asOf: Date, asOfParam: string, params: SqlParameters): string {
  if (definition.type !== 'propensity' || definition.outcome.kind !== 'churn' || !definition.outcome.active) return '';
  const { lookbackDays, events } = definition.outcome.active;
  const which = events === 'outcome_event' ? `e.name = ${params.bind(definition.outcome.event)}` : `e.type IN ('track', 'page', 'screen')`;
  return `
        AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND ${which}
          AND e.timestamp > ${params.bind(new Date(asOf.getTime() - lookbackDays * DAY_MS).toISOString())}::timestamptz AND e.timestamp <= ${asOfParam})`;
}

interface FeatureBuild {
  definition: FittedDefinition;
  asOf: Date;
  asOfParam: string;
  params: SqlParameters;
  joins: string[];
  context: FeatureSqlContext;
}

/** One feature's column expression; event aggregates and computed traits add their grouped join to `joins`. */
function featureColumnSql(feature: FeatureSpec, index: number, kind: FeatureKind, build: FeatureBuild): string {
  const { definition, asOf, asOfParam, params, joins } = build;
  switch (feature.source) {
    case 'recency_days':
      return `(extract(epoch FROM (${asOfParam} - a.last_purchase_at)) / 86400)::float8`;
    case 'frequency':
      return `coalesce(a.frequency, 0)::float8`;
    case 'monetary':
      return `coalesce(a.monetary, 0)::float8`;
    case 'avg_order_value':
      return `(a.monetary / nullif(a.frequency, 0))::float8`;
    case 'tenure_days':
      return `(extract(epoch FROM (${asOfParam} - p.first_seen_at)) / 86400)::float8`;
    case 'event_count':
      joins.push(`LEFT JOIN (SELECT e.profile_id, count(*) AS n FROM events e WHERE e.name = ${params.bind(feature.event)} AND ${windowSql(definition.window, asOf, params)}
          GROUP BY e.profile_id) ec${index} ON ec${index}.profile_id = p.id`);
      return `coalesce(ec${index}.n, 0)::float8`;
    case 'trait': {
      const path = params.bind(feature.trait.split('.'));
      const test = `jsonb_typeof(p.traits #> ${path}::text[])`;
      return kind === 'numeric'
        ? `CASE WHEN ${test} = 'number' THEN (p.traits #>> ${path}::text[])::float8 END`
        : `CASE WHEN ${test} IN ('string', 'number', 'boolean') THEN p.traits #>> ${path}::text[] END`;
    }
    case 'event_property': {
      // The computed traits' most_frequent (ties: the value seen latest), over the model's window.
      const values = computedTraitValuesSql(
        { function: 'most_frequent', event: feature.event, property: feature.property, window: definition.window },
        asOf,
        params,
      );
      joins.push(`LEFT JOIN (${values}) ep${index} ON ep${index}.profile_id = p.id`);
      return jsonValueSql(`ep${index}.value`, kind);
    }
    case 'computed_trait': {
      const values = computedTraitValuesSql(resolvedTrait(feature.key, index, build.context).definition, asOf, params);
      joins.push(`LEFT JOIN (${values}) ct${index} ON ct${index}.profile_id = p.id`);
      return jsonValueSql(`ct${index}.value`, kind);
    }
  }
}

/** A jsonb value as a feature: a JSON number as float8 (else missing), or a scalar as text (objects, arrays, null: missing). */
function jsonValueSql(value: string, kind: FeatureKind): string {
  return kind === 'numeric'
    ? `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value} #>> '{}')::float8 END`
    : `CASE WHEN jsonb_typeof(${value}) IN ('string', 'number', 'boolean') THEN ${value} #>> '{}' END`;
}

function resolvedTrait(key: string, index: number, context: FeatureSqlContext): ResolvedComputedTrait {
  const trait = context.computedTraits?.[key];
  if (!trait) throw new FeatureSourceException(index, `computed trait "${key}" was not resolved for this model`);
  return trait;
}
