-- heldMemberCount
SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND state = 'present';

-- onChangeRemovedThisHour
SELECT coalesce(sum((r.counts->>'removed')::bigint), 0) AS removed FROM sync_runs r
     WHERE r.activation_id = $1 AND r.trigger = $2 AND r.dry_run = false AND r.queued_at > now() - interval '1 hour'
       AND r.queued_at >= coalesce((
         SELECT max(c.queued_at) FROM sync_runs c
         WHERE c.activation_id = $1 AND c.trigger = $2 AND c.plan->'guard' ? 'confirmedBy'), '-infinity');

-- refreshQualityOf
SELECT quality FROM segment_runs WHERE id = $1;
