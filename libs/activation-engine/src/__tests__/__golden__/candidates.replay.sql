-- readProfiles
WITH c AS (SELECT unnest($1::uuid[]) AS profile_id)
     SELECT c.profile_id, coalesce((
    SELECT jsonb_object_agg(t.type, t.value) FROM (
      SELECT DISTINCT ON (i.type) i.type, i.value FROM identities i
      WHERE i.profile_id = c.profile_id AND i.type IN ('email', 'phone', 'user_id')
      ORDER BY i.type, i.id DESC) t), '{}'::jsonb) AS identifiers, coalesce(p.traits, '{}'::jsonb) AS traits,
            (p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL) AS gone,
            (EXISTS (
      SELECT 1 FROM identities i JOIN suppressions s ON s.identifier_value = i.value
        AND s.identifier_type IN (i.type, CASE WHEN i.type = 'user_id' THEN 'external_id' END)
      WHERE i.profile_id = c.profile_id AND s.channel = ANY($2::text[]))
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.identifier_type = 'profile_id' AND s.identifier_value = c.profile_id::text AND s.channel = ANY($2::text[]))) AS suppressed,
            NULL::uuid AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id;

-- readProfiles (with exclusions)
WITH c AS (SELECT unnest($1::uuid[]) AS profile_id)
     SELECT c.profile_id, coalesce((
    SELECT jsonb_object_agg(t.type, t.value) FROM (
      SELECT DISTINCT ON (i.type) i.type, i.value FROM identities i
      WHERE i.profile_id = c.profile_id AND i.type IN ('email', 'phone', 'user_id')
      ORDER BY i.type, i.id DESC) t), '{}'::jsonb) AS identifiers, coalesce(p.traits, '{}'::jsonb) AS traits,
            (p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL) AS gone,
            (EXISTS (
      SELECT 1 FROM identities i JOIN suppressions s ON s.identifier_value = i.value
        AND s.identifier_type IN (i.type, CASE WHEN i.type = 'user_id' THEN 'external_id' END)
      WHERE i.profile_id = c.profile_id AND s.channel = ANY($2::text[]))
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.identifier_type = 'profile_id' AND s.identifier_value = c.profile_id::text AND s.channel = ANY($2::text[]))) AS suppressed,
            (SELECT x.segment_id FROM segment_memberships x
             WHERE x.profile_id = c.profile_id AND x.segment_id = ANY($3::uuid[])
             ORDER BY array_position($3::uuid[], x.segment_id) LIMIT 1) AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id;

-- readHeldIdentifiers
SELECT am.profile_id, coalesce(am.identifiers, '{}'::jsonb) AS identifiers, '{}'::jsonb AS traits, false AS gone, false AS suppressed
     FROM activation_members am WHERE am.activation_id = $1 AND am.profile_id = ANY($2::uuid[]) ORDER BY am.profile_id;
