-- replaceSourceValues
WITH incoming AS MATERIALIZED (
       SELECT r.profile_id, r.key, r.value FROM jsonb_to_recordset($1::jsonb) AS r(profile_id uuid, key text, value jsonb)
        WHERE r.value IS NOT NULL AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = r.profile_id)
     ), stored AS MATERIALIZED (
       SELECT s.ctid AS row_id, s.profile_id, s.key, s.value, s.source_version FROM computed_trait_values s
        WHERE s.source_kind = $2 AND s.source_id = $3
     ), changes AS MATERIALIZED (
       SELECT i.profile_id, i.key, i.value, s.row_id AS gone_row_id
         FROM incoming i FULL JOIN stored s ON s.profile_id = i.profile_id AND s.key = i.key
        WHERE i.profile_id IS NULL OR s.profile_id IS NULL OR s.value IS DISTINCT FROM i.value OR s.source_version IS DISTINCT FROM $4::int
     ), upserted AS (
       INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT ch.profile_id, ch.key, ch.value, $2, $3, $4, $5 FROM changes ch WHERE ch.profile_id IS NOT NULL
       ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
        WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
          AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
       RETURNING 1
     ), deleted AS (
       DELETE FROM computed_trait_values v USING changes ch WHERE ch.profile_id IS NULL AND v.ctid = ch.gone_row_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted;

-- writeProfileValues
WITH entries AS (
       SELECT r.key, r.value, r.source_kind, r.source_id, r.source_version
         FROM jsonb_to_recordset($2::jsonb) AS r(key text, value jsonb, source_kind text, source_id uuid, source_version int)
        WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = $1::uuid)
     ), upserted AS (
       INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT $1::uuid, e.key, e.value, e.source_kind, e.source_id, e.source_version, $3 FROM entries e WHERE e.value IS NOT NULL
       ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
        WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
          AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
       RETURNING 1
     ), deleted AS (
       DELETE FROM computed_trait_values v USING entries e
        WHERE v.profile_id = $1::uuid AND v.key = e.key AND e.value IS NULL AND v.source_kind = e.source_kind AND v.source_id = e.source_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted;

-- runRefreshStatement
WITH computed AS MATERIALIZED (SELECT p.id AS profile_id, to_jsonb(COALESCE(a.n, 0)) AS value FROM profiles p
       LEFT JOIN (SELECT e.profile_id, count(*) AS n FROM events e WHERE e.name = $1 AND e.timestamp > $2::timestamptz AND e.timestamp <= $3::timestamptz GROUP BY e.profile_id) a ON a.profile_id = p.id
      WHERE p.merged_into IS NULL AND p.deleted_at IS NULL),
stored AS MATERIALIZED (
  SELECT s.ctid AS row_id, s.profile_id, s.value, s.source_version FROM computed_trait_values s
   WHERE s.key = $4 AND s.source_kind = 'computed' AND s.source_id = $5::uuid
), changes AS MATERIALIZED (
  SELECT c.profile_id, c.value, s.row_id AS gone_row_id
    FROM computed c FULL JOIN stored s ON s.profile_id = c.profile_id
   WHERE c.profile_id IS NULL OR s.profile_id IS NULL OR s.value IS DISTINCT FROM c.value OR s.source_version IS DISTINCT FROM $6::int
), upserted AS (
  INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
  SELECT ch.profile_id, $4, ch.value, 'computed', $5::uuid, $6::int, $7::timestamptz FROM changes ch WHERE ch.profile_id IS NOT NULL
  ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
   WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
     AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
  RETURNING 1
), deleted AS (
  DELETE FROM computed_trait_values v USING changes ch
   WHERE ch.profile_id IS NULL AND v.ctid = ch.gone_row_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM computed)::int AS with_value;

-- keyOwners
SELECT DISTINCT ON (k.key) k.key, v.source_kind, v.source_id
       FROM unnest($1::text[]) AS k(key)
       CROSS JOIN LATERAL (SELECT source_kind, source_id FROM computed_trait_values c
                            WHERE c.key = k.key AND ($2::uuid IS NULL OR c.source_id <> $2::uuid) LIMIT 1) v
      ORDER BY k.key;

-- profileValues
SELECT key, value, source_kind, source_id, source_version, computed_at FROM computed_trait_values WHERE profile_id = $1 ORDER BY key;

-- valuesOfKey
SELECT profile_id, value, source_version, computed_at FROM computed_trait_values WHERE key = $1 ORDER BY computed_at DESC, profile_id LIMIT $2;

-- deleteSourceValues
DELETE FROM computed_trait_values WHERE source_kind = $1 AND source_id = $2;
