-- insertSuppressions
INSERT INTO suppressions (identifier_type, identifier_value, channel, reason)
     SELECT type, value, channel, reason FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s(type, value, channel, reason)
     ON CONFLICT (identifier_type, identifier_value, channel) DO NOTHING
     RETURNING id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt";

-- listSuppressions
SELECT id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt" FROM suppressions WHERE ($1::text IS NULL OR channel = $1)
   AND ($2::text IS NULL OR identifier_type = $2)
   AND ($3::text IS NULL OR strpos(lower(reason), lower($3)) > 0)
   AND ($4::text IS NULL OR identifier_value = $4)
   AND ($5::timestamptz IS NULL OR created_at >= $5)
   AND ($6::timestamptz IS NULL OR created_at < $6) AND ($7::bigint IS NULL OR id < $7) ORDER BY id DESC LIMIT $8;

-- countSuppressions
SELECT count(*)::int AS n FROM suppressions WHERE ($1::text IS NULL OR channel = $1)
   AND ($2::text IS NULL OR identifier_type = $2)
   AND ($3::text IS NULL OR strpos(lower(reason), lower($3)) > 0)
   AND ($4::text IS NULL OR identifier_value = $4)
   AND ($5::timestamptz IS NULL OR created_at >= $5)
   AND ($6::timestamptz IS NULL OR created_at < $6);

-- exportPage
SELECT id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt" FROM suppressions WHERE ($1::text IS NULL OR channel = $1)
   AND ($2::text IS NULL OR identifier_type = $2)
   AND ($3::text IS NULL OR strpos(lower(reason), lower($3)) > 0)
   AND ($4::text IS NULL OR identifier_value = $4)
   AND ($5::timestamptz IS NULL OR created_at >= $5)
   AND ($6::timestamptz IS NULL OR created_at < $6) AND ($7::bigint IS NULL OR id > $7) ORDER BY id LIMIT $8;

-- findSuppression
SELECT id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt" FROM suppressions WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3;

-- mirrorActivationsHolding
WITH s AS (SELECT * FROM unnest($1::text[], $2::text[]) AS s(type, value)),
          p AS (SELECT i.profile_id FROM identities i JOIN s ON s.value = i.value AND s.type = i.type
                UNION SELECT s.value::uuid FROM s WHERE s.type = 'profile_id')
     SELECT DISTINCT am.activation_id FROM activation_members am
       JOIN p ON p.profile_id = am.profile_id
       JOIN activations a ON a.id = am.activation_id AND a.mode = 'mirror'
     WHERE am.state = 'present' ORDER BY am.activation_id;

-- deleteSuppression
DELETE FROM suppressions WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3 RETURNING id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt";

-- insertSuppressionAudit
INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, 'suppression', $3, $4);

-- upsertCategory
INSERT INTO consent_categories (key, label, description) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description, updated_at = now()
     RETURNING (xmax = 0) AS created;

-- listCategories
SELECT c.key, c.label, c.description, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  coalesce((SELECT array_agg(d.destination_id::text ORDER BY d.destination_id) FROM destination_consent_categories d WHERE d.category_key = c.key), '{}') AS "destinationIds" FROM consent_categories c ORDER BY c.key;

-- findCategory
SELECT c.key, c.label, c.description, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  coalesce((SELECT array_agg(d.destination_id::text ORDER BY d.destination_id) FROM destination_consent_categories d WHERE d.category_key = c.key), '{}') AS "destinationIds" FROM consent_categories c WHERE c.key = $1;

-- existingCategoryKeys
SELECT key FROM consent_categories WHERE key = ANY($1::text[]) ORDER BY key;

-- lockLiveDestination
SELECT id FROM destinations WHERE id = $1 AND deleted_at IS NULL FOR UPDATE;

-- replaceDestinationCategories
DELETE FROM destination_consent_categories WHERE destination_id = $1 AND NOT (category_key = ANY($2::text[]));
INSERT INTO destination_consent_categories (destination_id, category_key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING;

-- destinationCategories
SELECT category_key FROM destination_consent_categories WHERE destination_id = $1 ORDER BY category_key;

-- lockSurvivingProfile
WITH RECURSIVE chain AS (
       SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $1
       UNION ALL SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 50
     )
     SELECT p.id, p.traits, p.trait_timestamps AS "traitTimestamps" FROM profiles p
     WHERE p.id = (SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1) AND p.deleted_at IS NULL
     FOR UPDATE;

-- readProfileTraits
SELECT id, traits, trait_timestamps AS "traitTimestamps" FROM profiles WHERE id = $1 AND deleted_at IS NULL AND merged_into IS NULL;

-- writeProfileTraits
UPDATE profiles SET traits = $2, trait_timestamps = $3, updated_at = now() WHERE id = $1;
INSERT INTO realtime_touches (profile_id) VALUES ($1);

-- mirrorActivationsRequiring
SELECT DISTINCT am.activation_id FROM activation_members am
       JOIN activations a ON a.id = am.activation_id AND a.mode = 'mirror'
       JOIN destination_consent_categories d ON d.destination_id = a.destination_id AND d.category_key = ANY($2::text[])
     WHERE am.profile_id = $1 AND am.state = 'present' ORDER BY am.activation_id;

-- insertConsentAudit
INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, $3, $4, $5);

-- lockWithdrawals
SELECT id::text AS id, profile_id AS "profileId", keys FROM consent_withdrawals
     WHERE ($2::uuid IS NULL OR profile_id = $2) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED;

-- deleteWithdrawals
DELETE FROM consent_withdrawals WHERE id = ANY($1::bigint[]);

-- deleteCategory (in use)
SELECT count(*)::int AS n FROM destination_consent_categories WHERE category_key = $1;

-- deleteCategory
SELECT count(*)::int AS n FROM destination_consent_categories WHERE category_key = $1;
DELETE FROM consent_categories WHERE key = $1;
