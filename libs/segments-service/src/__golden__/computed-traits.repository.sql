-- lockKeyNamespace
SELECT pg_advisory_xact_lock($1);

-- insertTrait
INSERT INTO computed_traits (key, description, owner, cadence, current_version) VALUES ($1, $2, $3, $4, 1) RETURNING id;
INSERT INTO computed_trait_versions (trait_id, version, definition, created_by) VALUES ($1, 1, $2, $3);

-- updateTrait
INSERT INTO computed_trait_versions (trait_id, version, definition, created_by)
       SELECT id, current_version + 1, $2, $3 FROM computed_traits WHERE id = $1;
UPDATE computed_traits SET description = $2, owner = $3, cadence = $4, current_version = current_version + $5, updated_at = now() WHERE id = $1;

-- findTrait
SELECT t.id, t.key, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version WHERE t.key = $1 AND t.deleted_at IS NULL;

-- listTraits
SELECT t.id, t.key, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version WHERE t.deleted_at IS NULL ORDER BY t.key;

-- tryLockTraitRun
SELECT pg_try_advisory_xact_lock(hashtextextended('computed-trait-run:' || $1, 0)) AS locked;

-- recordRun
UPDATE computed_traits SET last_run_at = $2, last_run = $3 WHERE id = $1;

-- scheduledTraits
SELECT id, key, cadence, coalesce(last_run_at, created_at) AS since FROM computed_traits WHERE deleted_at IS NULL AND cadence <> 'manual' ORDER BY key;

-- realtimeTraits
SELECT t.id, t.key, t.current_version AS version, v.definition
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
      WHERE t.deleted_at IS NULL AND t.cadence = 'realtime' ORDER BY t.key;

-- knownTraitKeys
SELECT to_regclass('sql_traits') IS NOT NULL AS sql_traits;
SELECT k.key, c.cadence FROM unnest($1::text[]) AS k(key)
       LEFT JOIN computed_traits c ON c.key = k.key AND c.deleted_at IS NULL
      WHERE c.id IS NOT NULL OR EXISTS (SELECT 1 FROM computed_trait_values v WHERE v.key = k.key) OR EXISTS (SELECT 1 FROM sql_traits s JOIN sql_trait_versions sv ON sv.trait_id = s.id AND sv.version = s.current_version
                   WHERE s.deleted_at IS NULL AND k.key = ANY(sv.value_columns))
      ORDER BY k.key;

-- sqlTraitKeys
SELECT to_regclass('sql_traits') IS NOT NULL AS sql_traits;
SELECT k.key, 'SQL trait ' || s.key AS owner
       FROM sql_traits s JOIN sql_trait_versions sv ON sv.trait_id = s.id AND sv.version = s.current_version
       CROSS JOIN LATERAL unnest(sv.value_columns) AS k(key)
      WHERE s.deleted_at IS NULL AND k.key = ANY($1::text[]) ORDER BY 1, 2;

-- segmentsReferencing
SELECT s.key, s.refresh_cadence AS cadence FROM segments s JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
      WHERE s.deleted_at IS NULL AND jsonb_path_exists(v.definition, 'strict $.** ? (@.type == "computed_trait" && @.key == $key)', jsonb_build_object('key', $1::text))
      ORDER BY s.key;

-- traitEvents
SELECT profile_id, id, name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties
       FROM events WHERE profile_id = ANY($1::uuid[]) AND name = ANY($2::text[]) AND ($3::timestamptz IS NULL OR timestamp > $3);

-- liveProfiles
SELECT id FROM profiles WHERE id = ANY($1::uuid[]) AND merged_into IS NULL AND deleted_at IS NULL;

-- valuesFor
SELECT profile_id, key, value FROM computed_trait_values WHERE profile_id = ANY($1::uuid[]) AND key = ANY($2::text[]);

-- replaceTraitDueTimes
DELETE FROM computed_trait_due WHERE profile_id = ANY($1::uuid[]);
INSERT INTO computed_trait_due (trait_id, profile_id, due_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) ON CONFLICT (trait_id, profile_id) DO UPDATE SET due_at = least(computed_trait_due.due_at, excluded.due_at);

-- handOverDueTraits
WITH due AS (
       DELETE FROM computed_trait_due d WHERE (d.trait_id, d.profile_id) IN (
         SELECT trait_id, profile_id FROM computed_trait_due WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING d.profile_id
     ), touched AS (
       INSERT INTO realtime_touches (profile_id) SELECT DISTINCT profile_id FROM due RETURNING 1
     )
     SELECT count(*)::int AS touched FROM touched;

-- touchProfilesWithEvent
INSERT INTO realtime_touches (profile_id)
     SELECT p.id FROM profiles p WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = $1);

-- deleteTraitDueTimes
DELETE FROM computed_trait_due WHERE trait_id = $1;

-- softDeleteTrait
UPDATE computed_traits SET deleted_at = now(), updated_at = now() WHERE id = $1;
