SELECT f.*, coalesce((SELECT i.type || ':' || i.value FROM identities i WHERE i.profile_id = f.profile_id
        ORDER BY CASE i.type WHEN 'user_id' THEN 0 WHEN 'email' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END, i.value COLLATE "C" LIMIT 1),
        'profile_id:' || f.profile_id::text) COLLATE "C" AS stable_key FROM (SELECT p.id AS profile_id, CASE WHEN jsonb_typeof(p.traits #> $2::text[]) IN ('string', 'number', 'boolean') THEN p.traits #>> $2::text[] END AS f0, CASE WHEN jsonb_typeof(ep1.value) IN ('string', 'number', 'boolean') THEN ep1.value #>> '{}' END AS f1, CASE WHEN jsonb_typeof(ct2.value) = 'number' THEN (ct2.value #>> '{}')::float8 END AS f2, CASE WHEN jsonb_typeof(ct3.value) IN ('string', 'number', 'boolean') THEN ct3.value #>> '{}' END AS f3, EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = $24
           AND e.timestamp > $1::timestamptz AND e.timestamp <= $25::timestamptz) AS outcome
      FROM profiles p
      LEFT JOIN (SELECT pu.profile_id, pu.last_purchase_at, pu.first_purchase_at, pu.frequency, pu.gross - coalesce(rf.refunded, 0) AS monetary
    FROM (SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, min(e.timestamp) AS first_purchase_at,
      count(DISTINCT coalesce(e.properties ->> 'order_id', e.message_id))::int AS frequency,
      coalesce(sum(CASE WHEN jsonb_typeof(e.properties #> $15::text[]) = 'number' THEN (e.properties #>> $15::text[])::numeric END), 0) AS gross
    FROM events e WHERE e.name = $16 AND e.timestamp > $17::timestamptz AND e.timestamp <= $18::timestamptz
    GROUP BY e.profile_id) pu
    JOIN profiles p ON p.id = pu.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    LEFT JOIN (SELECT e.profile_id, coalesce(sum(abs(coalesce(CASE WHEN jsonb_typeof(e.properties #> $19::text[]) = 'number' THEN (e.properties #>> $19::text[])::numeric END, CASE WHEN jsonb_typeof(e.properties #> $20::text[]) = 'number' THEN (e.properties #>> $20::text[])::numeric END))), 0) AS refunded
    FROM events e WHERE e.name = $21 AND e.timestamp > $22::timestamptz AND e.timestamp <= $23::timestamptz
    GROUP BY e.profile_id) rf ON rf.profile_id = pu.profile_id) a ON a.profile_id = p.id
      LEFT JOIN (SELECT t.profile_id, t.value FROM (SELECT DISTINCT ON (f.profile_id) f.profile_id, f.value FROM (
          SELECT e.profile_id, (e.properties -> $6::text) AS value, e.timestamp, e.id,
                 count(*) OVER (PARTITION BY e.profile_id, (e.properties -> $6::text)) AS n,
                 row_number() OVER (PARTITION BY e.profile_id, (e.properties -> $6::text) ORDER BY e.timestamp DESC, e.id DESC) AS r
            FROM events e WHERE e.name = $3 AND e.timestamp > $4::timestamptz AND e.timestamp <= $5::timestamptz AND jsonb_typeof((e.properties -> $6::text)) IN ('string', 'number', 'boolean')) f
        WHERE f.r = 1 ORDER BY f.profile_id, f.n DESC, f.timestamp DESC, f.id DESC) t JOIN profiles p ON p.id = t.profile_id WHERE p.merged_into IS NULL AND p.deleted_at IS NULL) ep1 ON ep1.profile_id = p.id
LEFT JOIN (SELECT t.profile_id, t.value FROM (SELECT e.profile_id, to_jsonb(sum(CASE WHEN jsonb_typeof((e.properties -> $10::text)) = 'number' THEN ((e.properties -> $10::text))::numeric END)) AS value FROM events e WHERE e.name = $7 AND e.timestamp > $8::timestamptz AND e.timestamp <= $9::timestamptz AND COALESCE(jsonb_typeof((e.properties -> $10::text)), 'null') <> 'null' GROUP BY e.profile_id
        HAVING count(CASE WHEN jsonb_typeof((e.properties -> $10::text)) = 'number' THEN ((e.properties -> $10::text))::numeric END) > 0) t JOIN profiles p ON p.id = t.profile_id WHERE p.merged_into IS NULL AND p.deleted_at IS NULL) ct2 ON ct2.profile_id = p.id
LEFT JOIN (SELECT t.profile_id, t.value FROM (SELECT DISTINCT ON (e.profile_id) e.profile_id, (e.properties -> $14::text) AS value FROM events e WHERE e.name = $11 AND e.timestamp > $12::timestamptz AND e.timestamp <= $13::timestamptz AND COALESCE(jsonb_typeof((e.properties -> $14::text)), 'null') <> 'null'
        ORDER BY e.profile_id, e.timestamp DESC, e.id DESC) t JOIN profiles p ON p.id = t.profile_id WHERE p.merged_into IS NULL AND p.deleted_at IS NULL) ct3 ON ct3.profile_id = p.id
      WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND (p.first_seen_at IS NULL OR p.first_seen_at <= $1::timestamptz) AND EXISTS (SELECT 1 FROM segment_memberships m JOIN segments sg ON sg.id = m.segment_id
           WHERE m.profile_id = p.id AND sg.deleted_at IS NULL AND (sg.key = $26 OR sg.id::text = $26))
      ORDER BY p.id) f
      ORDER BY stable_key, f.profile_id
-- values: ["2026-03-01T12:00:00.000Z",["plan"],"Order Completed","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z","payment_method","Order Completed","2025-12-01T12:00:00.000Z","2026-03-01T12:00:00.000Z","revenue","Page Viewed","2026-01-30T12:00:00.000Z","2026-03-01T12:00:00.000Z","utm_source",["revenue"],"Order Completed","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z",["revenue"],["total"],"Order Refunded","2025-03-01T12:00:00.000Z","2026-03-01T12:00:00.000Z","Order Completed","2026-03-31T12:00:00.000Z","newsletter"]
