-- entryMemberCounts
SELECT e.position, e.segment_id, s.key,
            count(m.profile_id)::int AS members,
            count(m.profile_id) FILTER (WHERE NOT EXISTS (
              SELECT 1 FROM priority_list_entries h
              JOIN segment_memberships hm ON hm.segment_id = h.segment_id AND hm.profile_id = m.profile_id
              WHERE h.list_id = e.list_id AND h.position < e.position))::int AS exclusive
     FROM priority_list_entries e
     JOIN segments s ON s.id = e.segment_id
     LEFT JOIN segment_memberships m ON m.segment_id = e.segment_id
     WHERE e.list_id = $1
     GROUP BY e.list_id, e.position, e.segment_id, s.key
     ORDER BY e.position;

-- liveActivationsOfList
SELECT id, name, segment_id FROM activations WHERE priority_list_id = $1 AND status <> 'deleted' ORDER BY created_at, id;

-- detachDeletedActivations
UPDATE activations SET priority_list_id = NULL WHERE priority_list_id = $1 AND status = 'deleted';
