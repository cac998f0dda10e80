-- findDestination
SELECT id, connector, settings, secrets_ciphertext AS "secretsCiphertext", secrets_key_id AS "secretsKeyId"
       FROM destinations WHERE id = $1 AND deleted_at IS NULL;

-- activationUsesDestination
SELECT 1 FROM activations WHERE id = $1 AND destination_id = $2;

-- firstTreatedAt
SELECT date_trunc('milliseconds', min(exposed_at) + interval '999 microseconds') AS "treatedAt" FROM activation_exposures
      WHERE activation_id = $1 AND profile_id = $2 AND arm = 'treatment';

-- ownerOf
SELECT i.profile_id AS "profileId" FROM identities i
       JOIN profiles p ON p.id = i.profile_id AND p.deleted_at IS NULL
      WHERE i.type = $1 AND i.value = $2;

-- identifierOfProfile
SELECT i.profile_id AS "profileId", i.type, i.value
       FROM profiles p
       JOIN identities i ON i.profile_id = COALESCE(p.merged_into, p.id)
       JOIN profiles w ON w.id = i.profile_id AND w.deleted_at IS NULL
      WHERE p.id = $1
      ORDER BY (i.type = $2 AND i.value = $3) DESC,
               CASE i.type WHEN 'user_id' THEN 0 WHEN 'anonymous_id' THEN 1 WHEN 'email' THEN 2 ELSE 3 END,
               i.id
      LIMIT 1;

-- deleteOptOutSuppression
DELETE FROM suppressions
      WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3 AND starts_with(reason, $4)
      RETURNING id, reason;

-- insertOptInAudit
INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES (NULL, 'suppression.removed', 'suppression', $1, $2);
