-- readCandidates adds (new page)
WITH c AS (
       SELECT m.profile_id FROM segment_memberships m
       WHERE m.segment_id = $1
         AND ($3::uuid IS NULL OR m.profile_id > $3::uuid)
         AND ($4::uuid IS NULL OR m.profile_id <= $4::uuid)
         AND ($9::uuid[] IS NULL OR m.profile_id = ANY($9::uuid[]))
         AND NOT EXISTS (
           SELECT 1 FROM activation_members am
           WHERE am.activation_id = $2 AND am.profile_id = m.profile_id
             AND (am.state = ANY($5::text[]) OR am.last_sync_run_id = $6::uuid))
       ORDER BY m.profile_id
       LIMIT $7)
     SELECT c.profile_id, coalesce((
    SELECT jsonb_object_agg(t.type, t.value) FROM (
      SELECT DISTINCT ON (i.type) i.type, i.value FROM identities i
      WHERE i.profile_id = c.profile_id AND i.type IN ('email', 'phone', 'user_id')
      ORDER BY i.type, i.id DESC) t), '{}'::jsonb) AS identifiers, coalesce(p.traits, '{}'::jsonb) AS traits,
            (p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL) AS gone,
            (EXISTS (
      SELECT 1 FROM identities i JOIN suppressions s ON s.identifier_value = i.value
        AND s.identifier_type IN (i.type, CASE WHEN i.type = 'user_id' THEN 'external_id' END)
      WHERE i.profile_id = c.profile_id AND s.channel = ANY($8::text[]))
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.identifier_type = 'profile_id' AND s.identifier_value = c.profile_id::text AND s.channel = ANY($8::text[]))) AS suppressed,
            false AS redeliver,
            NULL::uuid AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id;

-- readCandidates removes (new page)
SELECT c.profile_id, coalesce(c.identifiers, '{}'::jsonb) AS identifiers, '{}'::jsonb AS traits, false AS gone, false AS suppressed
     FROM activation_members c LEFT JOIN profiles p ON p.id = c.profile_id
     WHERE c.activation_id = $1 AND c.state = 'present'
       AND ($3::uuid IS NULL OR c.profile_id > $3::uuid)
       AND ($4::uuid IS NULL OR c.profile_id <= $4::uuid)
       AND c.last_sync_run_id IS DISTINCT FROM $5::uuid
       AND ($9::uuid[] IS NULL OR c.profile_id = ANY($9::uuid[]))
       AND (NOT EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = $2 AND m.profile_id = c.profile_id)
            OR p.id IS NULL OR p.deleted_at IS NOT NULL OR p.merged_into IS NOT NULL
            OR p.traits -> 'unsubscribed' = 'true'::jsonb
            OR p.traits -> 'consent' -> $8::text = 'false'::jsonb
            OR EXISTS (SELECT 1 FROM unnest($10::text[]) AS k(category) WHERE (p.traits -> 'consent' -> k.category) IS DISTINCT FROM 'true'::jsonb)
            OR (EXISTS (
      SELECT 1 FROM identities i JOIN suppressions s ON s.identifier_value = i.value
        AND s.identifier_type IN (i.type, CASE WHEN i.type = 'user_id' THEN 'external_id' END)
      WHERE i.profile_id = c.profile_id AND s.channel = ANY($7::text[]))
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.identifier_type = 'profile_id' AND s.identifier_value = c.profile_id::text AND s.channel = ANY($7::text[]))))
     ORDER BY c.profile_id
     LIMIT $6;
