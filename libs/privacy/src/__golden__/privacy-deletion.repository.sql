-- lockProfilesOf
WITH RECURSIVE owner AS (
       SELECT profile_id AS id FROM identities WHERE type = $1 AND value = $2
       UNION SELECT p.id FROM profiles p JOIN owner o ON p.merged_into = o.id
     )
     SELECT p.id FROM profiles p JOIN owner o ON o.id = p.id ORDER BY p.id FOR UPDATE OF p;

-- identifiersOf
SELECT DISTINCT type, value FROM identities WHERE profile_id = ANY($1::uuid[]);

-- suppressAll
INSERT INTO suppressions (identifier_type, identifier_value, channel, reason)
     SELECT type, value, 'all', $3 FROM unnest($1::text[], $2::text[]) AS s(type, value)
     ON CONFLICT (identifier_type, identifier_value, channel) DO NOTHING RETURNING id;

-- activationsHolding
SELECT DISTINCT activation_id FROM activation_members WHERE profile_id = ANY($1::uuid[]) AND state = 'present' ORDER BY activation_id;

-- clearDeliveredIdentifiers
UPDATE activation_members SET identifiers = NULL WHERE profile_id = ANY($1::uuid[]) AND state <> 'present' AND identifiers IS NOT NULL;

-- forgetVendorTexts
DELETE FROM sync_rejections WHERE profile_id = ANY($1::uuid[]);
UPDATE sync_batches SET error = $3
      WHERE profile_ids && $1::uuid[] AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS n(needle) WHERE strpos(lower(error), lower(n.needle)) > 0);
WITH naming AS (
       SELECT r.id, e.ord FROM sync_runs r, jsonb_array_elements(r.errors) WITH ORDINALITY AS e(entry, ord)
       WHERE r.activation_id IN (SELECT activation_id FROM activation_members WHERE profile_id = ANY($1::uuid[]))
         AND jsonb_typeof(r.errors) = 'array'
         AND EXISTS (SELECT 1 FROM jsonb_path_query(e.entry, 'strict $.**') AS v(item), unnest($2::text[]) AS n(needle)
                     WHERE jsonb_typeof(v.item) = 'string' AND strpos(lower(v.item #>> '{}'), lower(n.needle)) > 0))
     UPDATE sync_runs r SET errors = (
       SELECT jsonb_agg(CASE WHEN e.ord IN (SELECT ord FROM naming WHERE naming.id = r.id)
                             THEN jsonb_strip_nulls(jsonb_build_object('kind', e.entry -> 'kind', 'seq', e.entry -> 'seq', 'at', e.entry -> 'at', 'message', $3::text))
                             ELSE e.entry END ORDER BY e.ord)
       FROM jsonb_array_elements(r.errors) WITH ORDINALITY AS e(entry, ord))
     WHERE r.id IN (SELECT id FROM naming);

-- deleteEvents
DELETE FROM events WHERE profile_id = ANY($1::uuid[]);

-- deleteIdentities
DELETE FROM identities WHERE profile_id = ANY($1::uuid[]);

-- deleteDerivedValues
DELETE FROM computed_trait_values WHERE profile_id = ANY($1::uuid[]);

-- emptyProfiles
UPDATE profiles SET traits = '{}', trait_timestamps = '{}', first_seen_at = NULL, last_seen_at = NULL, deleted_at = coalesce(deleted_at, now()), updated_at = now()
      WHERE id = ANY($1::uuid[]);

-- touchForRealtime
INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[]);

-- insertDeletionAudit
INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, 'privacy.deletion', 'privacy_deletion', $2, $3);

-- findDeletionAudit
SELECT details FROM audit_log WHERE action = 'privacy.deletion' AND object_type = 'privacy_deletion' AND object_id = $1;
