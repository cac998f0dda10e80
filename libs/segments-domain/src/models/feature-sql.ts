import { purchaseAggregatesSql } from '../rfm/compile-rfm-sql';
import { type CompiledSql, SqlParameters, windowSql } from '../sql/sql-parameters';
import type { FeatureSpec, FittedDefinition, PropensityDefinition } from './model-definitions.schema';

const DAY_MS = 86_400_000;

/** The query of {@link compileFeatureSql}: `profile_id`, `f0..fN` (one per feature), and `outcome` when asked. */
export type FeatureSql = CompiledSql;

/**
 * The feature matrix of a cluster / propensity definition's population as of `asOf` as ONE
 * parameterised query: one row per live profile first seen by then (ordered by id), columns
 * `profile_id`, `f0`…`fN` (the definition's features, in order; purchase features from the RFM
 * purchase aggregates of the definition's window) and, with `outcome`, the boolean `outcome`:
 * "performed `outcome.event` in (asOf, asOf + withinDays]".
 * @example compileFeatureSql(clusterDefinition, new Date('2026-01-01T00:00:00Z')).text // SELECT p.id AS profile_id, … ORDER BY p.id
 */
export function compileFeatureSql(definition: FittedDefinition, asOf: Date, outcome?: PropensityDefinition['outcome']): FeatureSql {
  const params = new SqlParameters();
  const asOfParam = `${params.bind(asOf.toISOString())}::timestamptz`;
  const joins: string[] = [];
  const columns = definition.features.map(
    (feature, index) => `${featureColumnSql(feature, index, definition, asOf, asOfParam, params, joins)} AS f${index}`,
  );
  const aggregates = purchaseAggregatesSql(definition, asOf, params);
  const label = outcome
    ? `, EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = ${params.bind(outcome.event)}
           AND e.timestamp > ${asOfParam} AND e.timestamp <= ${params.bind(new Date(asOf.getTime() + outcome.withinDays * DAY_MS).toISOString())}::timestamptz) AS outcome`
    : '';
  const text = `SELECT p.id AS profile_id, ${columns.join(', ')}${label}
      FROM profiles p
      ${definition.population === 'purchasers' ? 'JOIN' : 'LEFT JOIN'} (${aggregates}) a ON a.profile_id = p.id
      ${joins.join('\n')}
      WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND (p.first_seen_at IS NULL OR p.first_seen_at <= ${asOfParam})
      ORDER BY p.id`;
  return { text, values: params.values };
}

/** One feature's column expression; event counts add their grouped join to `joins`. */
function featureColumnSql(
  feature: FeatureSpec,
  index: number,
  definition: FittedDefinition,
  asOf: Date,
  asOfParam: string,
  params: SqlParameters,
  joins: string[],
): string {
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
      return `CASE WHEN jsonb_typeof(p.traits #> ${path}::text[]) = 'number' THEN (p.traits #>> ${path}::text[])::float8 END`;
    }
  }
}
