SELECT s.profile_id FROM (SELECT b.profile_id, b.last_purchase_at, b.frequency, b.monetary,
      extract(epoch FROM ($1::timestamptz - b.last_purchase_at)) / 86400 AS recency_days,
      (1 + 5 * (rank() OVER (ORDER BY b.last_purchase_at) - 1) / count(*) OVER ())::int AS r, (1 + 5 * (rank() OVER (ORDER BY b.frequency) - 1) / count(*) OVER ())::int AS f, (1 + 5 * (rank() OVER (ORDER BY b.monetary) - 1) / count(*) OVER ())::int AS m
    FROM (SELECT pu.profile_id, pu.last_purchase_at, pu.first_purchase_at, pu.frequency, pu.gross - coalesce(rf.refunded, 0) AS monetary
    FROM (SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, min(e.timestamp) AS first_purchase_at,
      count(DISTINCT coalesce(e.properties ->> 'order_id', e.message_id))::int AS frequency,
      coalesce(sum(CASE WHEN jsonb_typeof(e.properties #> $2::text[]) = 'number' THEN (e.properties #>> $2::text[])::numeric END), 0) AS gross
    FROM events e WHERE e.name = $3 AND e.timestamp > $4::timestamptz AND e.timestamp <= $5::timestamptz
    GROUP BY e.profile_id) pu
    JOIN profiles p ON p.id = pu.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    LEFT JOIN (SELECT e.profile_id, coalesce(sum(abs(coalesce(CASE WHEN jsonb_typeof(e.properties #> $6::text[]) = 'number' THEN (e.properties #>> $6::text[])::numeric END, CASE WHEN jsonb_typeof(e.properties #> $7::text[]) = 'number' THEN (e.properties #>> $7::text[])::numeric END))), 0) AS refunded
    FROM events e WHERE e.name = $8 AND e.timestamp > $9::timestamptz AND e.timestamp <= $10::timestamptz
    GROUP BY e.profile_id) rf ON rf.profile_id = pu.profile_id) b) s WHERE s.r * 100 + s.f * 10 + s.m = ANY($11::int[])
-- values: ["2026-03-01T12:00:00.000Z",["revenue"],"Order Completed","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z",["revenue"],["total"],"Order Refunded","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z",[325,334,335,343,344,345,352,353,354,355,425,434,435,443,444,445,452,453,454,455,525,534,535,543,544,545,552,553,554,555]]
