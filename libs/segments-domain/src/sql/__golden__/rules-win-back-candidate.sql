WITH b1 AS MATERIALIZED (SELECT e.profile_id FROM events e WHERE e.name = $1 AND e.timestamp <= $2::timestamptz GROUP BY e.profile_id HAVING max(e.timestamp) <= $3::timestamptz) SELECT p.id AS profile_id FROM profiles p WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND p.id IN (SELECT profile_id FROM b1)
-- values: ["Order Completed","2026-03-01T12:00:00.000Z","2025-09-02T12:00:00.000Z"]
