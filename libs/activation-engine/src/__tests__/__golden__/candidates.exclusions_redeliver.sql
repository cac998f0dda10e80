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
             AND (am.last_sync_run_id = $6::uuid
                  OR (am.state = ANY($5::text[]) AND coalesce(am.delivered_at, am.updated_at) >= now() - make_interval(days => $10::int))))
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
            EXISTS (SELECT 1 FROM activation_members h WHERE h.activation_id = $2 AND h.profile_id = c.profile_id AND h.state = ANY($5::text[])) AS redeliver,
            (SELECT x.segment_id FROM segment_memberships x
             WHERE x.profile_id = c.profile_id AND x.segment_id = ANY($11::uuid[])
             ORDER BY array_position($11::uuid[], x.segment_id) LIMIT 1) AS excluded_by
     FROM c LEFT JOIN profiles p ON p.id = c.profile_id
     ORDER BY c.profile_id;
