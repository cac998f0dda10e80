-- pendingActivations
SELECT activation_id, count(*)::int AS pending FROM activation_pending_changes GROUP BY activation_id ORDER BY min(id);

-- lockActivationForFlush
SELECT id, destination_id, status, schedule FROM activations WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED;

-- hasOpenOnChangeRun
SELECT 1 FROM sync_runs WHERE activation_id = $1 AND trigger = $2 AND dry_run = false
       AND status IN ('queued', 'running', 'awaiting_confirmation') LIMIT 1;

-- claimPendingChanges
DELETE FROM activation_pending_changes WHERE id IN (
       SELECT id FROM activation_pending_changes WHERE activation_id = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING profile_id, change, change_id, enqueued_at;

-- dropPendingChanges
DELETE FROM activation_pending_changes WHERE activation_id = $1;

-- insertRunProfiles
INSERT INTO sync_run_profiles (run_id, profile_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING;

-- runProfiles
SELECT profile_id FROM sync_run_profiles WHERE run_id = $1 ORDER BY profile_id;

-- onChangeSentThisHour
SELECT coalesce(sum((r.counts->>'sent')::bigint), 0) AS sent FROM sync_runs r
     WHERE r.activation_id = $1 AND r.trigger = $2 AND r.dry_run = false AND r.queued_at > now() - interval '1 hour'
       AND r.queued_at >= coalesce((
         SELECT max(c.queued_at) FROM sync_runs c
         WHERE c.activation_id = $1 AND c.trigger = $2 AND c.plan->'guard' ? 'confirmedBy'), '-infinity');

-- pendingChangeCount
SELECT count(*)::int AS n FROM activation_pending_changes;
