-- dueAfterRefresh
SELECT a.id AS activation_id, r.id AS segment_run_id
     FROM activations a
     JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
     JOIN LATERAL (SELECT id, finished_at FROM segment_runs WHERE segment_id = a.segment_id AND status = 'succeeded'
                   ORDER BY finished_at DESC NULLS LAST LIMIT 1) r ON true
     WHERE (a.schedule = 'after_refresh' OR (a.schedule = 'on_change' AND a.mode <> 'send')) AND a.status = 'active'
       AND ($1::uuid IS NULL OR a.segment_id = (SELECT segment_id FROM segment_runs WHERE id = $1::uuid))
       AND NOT EXISTS (SELECT 1 FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger_key = 'refresh:' || r.id);

-- cronCandidates
SELECT a.id, a.schedule,
            greatest(a.created_at, coalesce((SELECT max(s.queued_at) FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger = 'schedule'), a.created_at)) AS since
     FROM activations a JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
     WHERE a.status = 'active' AND a.schedule NOT IN ('after_refresh', 'manual');

-- liveDestinationIds
SELECT id FROM destinations WHERE deleted_at IS NULL ORDER BY created_at;
