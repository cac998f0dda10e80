import { type CompiledSql, SqlParameters, windowSql } from '../sql/sql-parameters';

/** Where a lifetime-value model's orders come from (defaults as for RFM: the CSV importer's events). */
export interface ClvOrderSource {
  /** Default `ever`: the models need each customer's first order, which a shorter window would cut off. */
  window?: string;
  /** Default `Order Completed`. */
  purchaseEvent?: string;
  /** Numeric property holding a line's amount. Default `revenue`. */
  revenueProperty?: string;
}

/**
 * One row per order of a live profile: `profile_id, order_id, ordered_at` (earliest event of the
 * order), `amount` (exact `numeric` sum). An order is the `order_id` property, or the event itself
 * when it has none. Only events with a positive numeric amount count (a zero or negative line is a
 * free item or an adjustment, not a purchase; refunds are other events). Feed the rows to
 * `summarizeOrders` with `calibrationEnd = now`.
 * @example compileClvOrdersSql({}, { now: new Date('2011-12-09T12:50:00Z') })
 */
export function compileClvOrdersSql(source: ClvOrderSource, options: { now: Date }): CompiledSql {
  const params = new SqlParameters();
  const path = params.bind((source.revenueProperty ?? 'revenue').split('.'));
  const amount = `CASE WHEN jsonb_typeof(e.properties #> ${path}::text[]) = 'number' THEN (e.properties #>> ${path}::text[])::numeric END`;
  const text = `SELECT e.profile_id, coalesce(e.properties ->> 'order_id', e.message_id) AS order_id,
      min(e.timestamp) AS ordered_at, sum(${amount}) AS amount
    FROM events e
    JOIN profiles p ON p.id = e.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    WHERE e.name = ${params.bind(source.purchaseEvent ?? 'Order Completed')} AND ${windowSql(source.window ?? 'ever', options.now, params)}
      AND ${amount} > 0
    GROUP BY e.profile_id, coalesce(e.properties ->> 'order_id', e.message_id)
    ORDER BY e.profile_id, order_id`;
  return { text, values: params.values };
}
