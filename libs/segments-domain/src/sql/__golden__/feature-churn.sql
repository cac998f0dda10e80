SELECT f.*, coalesce((SELECT i.type || ':' || i.value FROM identities i WHERE i.profile_id = f.profile_id
        ORDER BY CASE i.type WHEN 'user_id' THEN 0 WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END, i.value COLLATE "C" LIMIT 1),
        'profile_id:' || f.profile_id::text) COLLATE "C" AS stable_key FROM (SELECT p.id AS profile_id, coalesce(a.frequency, 0)::float8 AS f0, (extract(epoch FROM ($1::timestamptz - a.last_purchase_at)) / 86400)::float8 AS f1, NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = $11
           AND e.timestamp > $1::timestamptz AND e.timestamp <= $12::timestamptz) AS outcome
      FROM profiles p
      LEFT JOIN (SELECT pu.profile_id, pu.last_purchase_at, pu.first_purchase_at, pu.frequency, pu.gross - coalesce(rf.refunded, 0) AS monetary
    FROM (SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, min(e.timestamp) AS first_purchase_at,
      count(DISTINCT coalesce(e.properties ->> 'order_id', e.message_id))::int AS frequency,
      coalesce(sum(CASE WHEN jsonb_typeof(e.properties #> $2::text[]) = 'number' THEN (e.properties #>> $2::text[])::numeric END), 0) AS gross
    FROM events e WHERE e.name = $3 AND e.timestamp > $4::timestamptz AND e.timestamp <= $5::timestamptz
    GROUP BY e.profile_id) pu
    JOIN profiles p ON p.id = pu.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    LEFT JOIN (SELECT e.profile_id, coalesce(sum(abs(coalesce(CASE WHEN jsonb_typeof(e.properties #> $6::text[]) = 'number' THEN (e.properties #>> $6::text[])::numeric END, CASE WHEN jsonb_typeof(e.properties #> $7::text[]) = 'number' THEN (e.properties #>> $7::text[])::numeric END))), 0) AS refunded
    FROM events e WHERE e.name = $8 AND e.timestamp > $9::timestamptz AND e.timestamp <= $10::timestamptz
    GROUP BY e.profile_id) rf ON rf.profile_id = pu.profile_id) a ON a.profile_id = p.id
      
      WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND (p.first_seen_at IS NULL OR p.first_seen_at <= $1::timestamptz)
        AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type IN ('track', 'page', 'screen')
          AND e.timestamp > $13::timestamptz AND e.timestamp <= $1::timestamptz)
      ORDER BY p.id) f
      ORDER BY stable_key, f.profile_id
-- values: ["2026-03-01T12:00:00.000Z",["revenue"],"Order Completed","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z",["revenue"],["total"],"Order Refunded","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z","Order Completed","2026-05-30T12:00:00.000Z","2025-03-01T12:00:00.000Z"]
