-- insertTrait
INSERT INTO sql_traits (key, name, description, owner, cadence) VALUES ($1, $2, $3, $4, $5) RETURNING id;

-- insertVersion
INSERT INTO sql_trait_versions (trait_id, version, sql, key_kind, value_columns, created_by) VALUES ($1, $2, $3, $4, $5::text[], $6);

-- findTrait
SELECT t.id, t.key, t.name, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.sql, v.key_kind, v.value_columns, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM sql_traits t JOIN sql_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version WHERE t.key = $1 AND t.deleted_at IS NULL;

-- listTraits
SELECT t.id, t.key, t.name, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.sql, v.key_kind, v.value_columns, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM sql_traits t JOIN sql_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version WHERE t.deleted_at IS NULL ORDER BY t.key;

-- updateTrait
UPDATE sql_traits SET name = $2, description = $3, owner = $4, cadence = $5, current_version = $6, updated_at = now() WHERE id = $1;

-- recordRun
UPDATE sql_traits SET last_run_at = $2, last_run = $3::jsonb WHERE id = $1;

-- reservedKeys
SELECT c.key, 'computed trait ' || c.key AS owner FROM computed_traits c WHERE c.deleted_at IS NULL AND c.key = ANY($1::text[])
     UNION ALL
     SELECT k.key, 'SQL trait ' || t.key AS owner
       FROM sql_traits t JOIN sql_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
       CROSS JOIN LATERAL unnest(v.value_columns) AS k(key)
      WHERE t.deleted_at IS NULL AND ($2::uuid IS NULL OR t.id <> $2::uuid) AND k.key = ANY($1::text[])
     ORDER BY 1, 2;

-- traitKeyById
SELECT key FROM sql_traits WHERE id = $1 AND deleted_at IS NULL;

-- resolveKeys (profile_id)
SELECT k.key, w.id AS profile_id
         FROM unnest($1::text[]) AS k(key)
         JOIN profiles p ON p.id = k.key::uuid
         JOIN profiles w ON w.id = coalesce(p.merged_into, p.id)
        WHERE w.merged_into IS NULL AND w.deleted_at IS NULL;

-- resolveKeys (email)
SELECT k.key, w.id AS profile_id
       FROM unnest($2::text[]) AS k(key)
       JOIN identities i ON i.type = $1 AND i.value = k.key
       JOIN profiles p ON p.id = i.profile_id
       JOIN profiles w ON w.id = coalesce(p.merged_into, p.id)
      WHERE w.merged_into IS NULL AND w.deleted_at IS NULL;

-- scheduledTraits
SELECT id, key, cadence, coalesce(last_scheduled_for, created_at) AS since FROM sql_traits WHERE deleted_at IS NULL AND cadence <> 'manual' ORDER BY key;

-- claimFireTime
UPDATE sql_traits SET last_scheduled_for = $2 WHERE id = $1 AND deleted_at IS NULL AND (last_scheduled_for IS NULL OR last_scheduled_for < $2) RETURNING id;

-- softDeleteTrait
UPDATE sql_traits SET deleted_at = now(), updated_at = now() WHERE id = $1;
