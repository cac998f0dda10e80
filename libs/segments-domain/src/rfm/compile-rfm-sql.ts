import { type CompiledSql, SqlParameters, windowSql } from '../sql/sql-parameters';
import type { IntentValueDefinition } from '../value-matrix/value-matrix';
import { DEFAULT_RFM_TIERS, rfmScoreCodes } from './rfm-tiers';
import type { PurchaseSource, RfmDefinition } from './rfm.schema';

/** A numeric JSON property as numeric, NULL when absent or not a JSON number. */
function numericProperty(path: string, params: SqlParameters): string {
  const bound = params.bind(path.split('.'));
  return `CASE WHEN jsonb_typeof(e.properties #> ${bound}::text[]) = 'number' THEN (e.properties #>> ${bound}::text[])::numeric END`;
}

/**
 * Per-profile purchase aggregates over the window: `profile_id, last_purchase_at, frequency`
 * (distinct `order_id`s; an event without one counts as its own order), `monetary` (Σ numeric
 * revenue of purchases − Σ |revenue, else total| of refunds, exact `numeric`). Only live profiles
 * with at least one purchase in the window appear.
 */
export function purchaseAggregatesSql(source: PurchaseSource, now: Date, params: SqlParameters): string {
  const purchases = `SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, min(e.timestamp) AS first_purchase_at,
      count(DISTINCT coalesce(e.properties ->> 'order_id', e.message_id))::int AS frequency,
      coalesce(sum(${numericProperty(source.revenueProperty, params)}), 0) AS gross
    FROM events e WHERE e.name = ${params.bind(source.purchaseEvent)} AND ${windowSql(source.window, now, params)}
    GROUP BY e.profile_id`;
  const refunds =
    source.refundEvent === null
      ? `SELECT NULL::uuid AS profile_id, 0::numeric AS refunded WHERE false`
      : `SELECT e.profile_id, coalesce(sum(abs(coalesce(${numericProperty(source.revenueProperty, params)}, ${numericProperty('total', params)}))), 0) AS refunded
    FROM events e WHERE e.name = ${params.bind(source.refundEvent)} AND ${windowSql(source.window, now, params)}
    GROUP BY e.profile_id`;
  return `SELECT pu.profile_id, pu.last_purchase_at, pu.first_purchase_at, pu.frequency, pu.gross - coalesce(rf.refunded, 0) AS monetary
    FROM (${purchases}) pu
    JOIN profiles p ON p.id = pu.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    LEFT JOIN (${refunds}) rf ON rf.profile_id = pu.profile_id`;
}

/**
 * RFM scores 1–5 by quintile, computed in Postgres with window functions over the purchasers of
 * the window. Score = 1 + ⌊5 · (rank − 1) / n⌋ with `rank()` ascending in the "better" direction
 * (later last purchase, more orders, more money), i.e. 1 + ⌊5 · (share of purchasers strictly
 * below)⌋. Tie policy: equal values share the rank of their first row, so ties always get the same
 * score, the LOWEST their group reaches (a tie group spanning a quintile boundary is not split, and
 * a large group of one-order customers all score F = 1; a higher quintile can then be smaller or
 * empty). Columns: `profile_id, last_purchase_at, frequency, monetary, recency_days, r, f, m`.
 */
export function rfmScoresSql(source: PurchaseSource, now: Date, params: SqlParameters): string {
  const quintile = (column: string) => `(1 + 5 * (rank() OVER (ORDER BY b.${column}) - 1) / count(*) OVER ())::int`;
  return `SELECT b.profile_id, b.last_purchase_at, b.frequency, b.monetary,
      extract(epoch FROM (${params.bind(now.toISOString())}::timestamptz - b.last_purchase_at)) / 86400 AS recency_days,
      ${quintile('last_purchase_at')} AS r, ${quintile('frequency')} AS f, ${quintile('monetary')} AS m
    FROM (${purchaseAggregatesSql(source, now, params)}) b`;
}

/** The RFM scores of a definition's window as one query (for previews, tests and reports). */
export function compileRfmScoresSql(source: PurchaseSource, options: { now: Date }): CompiledSql {
  const params = new SqlParameters();
  return { text: rfmScoresSql(source, options.now, params), values: params.values };
}

/** Members of an RFM or intent × value segment as one parameterised query returning `profile_id`. */
export function compileValueSegmentSql(definition: RfmDefinition | IntentValueDefinition, options: { now: Date }): CompiledSql {
  const params = new SqlParameters();
  switch (definition.type) {
    case 'rfm': {
      const scores = rfmScoresSql(definition, options.now, params);
      const codes = rfmScoreCodes(definition.tierTable ?? DEFAULT_RFM_TIERS, definition.tiers);
      return {
        text: `SELECT s.profile_id FROM (${scores}) s WHERE s.r * 100 + s.f * 10 + s.m = ANY(${params.bind(codes)}::int[])`,
        values: params.values,
      };
    }
    case 'intent_value': {
      const scores = rfmScoresSql(definition, options.now, params);
      const highIntent =
        definition.intent.source === 'recency'
          ? `s.r >= ${params.bind(definition.intent.minScore)}::int`
          : `s.profile_id IN (SELECT m.profile_id FROM segment_memberships m JOIN segments sg ON sg.id = m.segment_id
               WHERE sg.deleted_at IS NULL AND (sg.key = ${params.bind(definition.intent.segment)} OR sg.id::text = $${params.values.length}))`;
      const highValue = `s.m >= ${params.bind(definition.value.minScore)}::int`;
      const [intent, value] = definition.cell.split('_intent_') as ['high' | 'low', string];
      const where = `${intent === 'high' ? highIntent : `NOT (${highIntent})`} AND ${value === 'high_value' ? highValue : `NOT (${highValue})`}`;
      return { text: `SELECT s.profile_id FROM (${scores}) s WHERE ${where}`, values: params.values };
    }
  }
}
