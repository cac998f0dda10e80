import { type CompiledSql, SqlParameters, windowSql } from '../sql/sql-parameters';

/** Where a lifetime-value model's orders come from (defaults as for RFM: the CSV importer's events). */
export interface ClvOrderSource {
  /** Default `ever`: the models need each customer's first order, which a shorter window would cut off. */
  window?: string;
  /** Default `Order Completed`. */
  purchaseEvent?: string;
  /** Numeric property holding a line's amount. Default `revenue`. */
  revenueProperty?: string;
  /** Property naming a line's order (dot path). Default `order_id`; an event without it is an order of its own. */
  orderIdProperty?: string;
}

/**
 * One row per order of a live profile: `profile_id, order_id, ordered_at` (earliest event of the
 * order), `amount` (exact `numeric` sum). An order is the `orderIdProperty` (default `order_id`), or the event itself
 * when it has none. Only events with a positive numeric amount count (a zero or negative line is a
 * free item or an adjustment, not a purchase; refunds are other events). Feed the rows to
 * `summarizeOrders` with `calibrationEnd = now`.
 * @example compileClvOrdersSql({}, { now: new Date('2011-12-09T12:50:00Z') })
 */
export function compileClvOrdersSql(source: ClvOrderSource, options: { now: Date; profileId?: string }): CompiledSql {
  const params = new SqlParameters();
  const path = params.bind((source.revenueProperty ?? 'revenue').split('.'));
  const orderPath = params.bind((source.orderIdProperty ?? 'order_id').split('.'));
  const orderId = `coalesce(e.properties #>> ${orderPath}::text[], e.message_id)`;
  // One profile (the profile explain): its orders only, the same rows as in the full read.
  const oneProfile = options.profileId === undefined ? '' : ` AND e.profile_id = ${params.bind(options.profileId)}`;
  const amount = `CASE WHEN jsonb_typeof(e.properties #> ${path}::text[]) = 'number' THEN (e.properties #>> ${path}::text[])::numeric END`;
  const text = `SELECT e.profile_id, ${orderId} AS order_id,
      min(e.timestamp) AS ordered_at, sum(${amount}) AS amount
    FROM events e
    JOIN profiles p ON p.id = e.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    WHERE e.name = ${params.bind(source.purchaseEvent ?? 'Order Completed')} AND ${windowSql(source.window ?? 'ever', options.now, params)}
      AND ${amount} > 0${oneProfile}
    GROUP BY 1, 2
    ORDER BY e.profile_id, order_id`;
  return { text, values: params.values };
}
