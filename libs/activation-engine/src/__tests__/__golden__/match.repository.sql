-- recordBatchVendorCounts
UPDATE sync_batches SET vendor_received = $3, vendor_invalid = $4 WHERE sync_run_id = $1 AND seq = $2;

-- heldAtVendor
SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND state = 'present';

-- previousMatchRates
SELECT match_rate FROM sync_runs WHERE activation_id = $1 AND id <> $2 AND match_rate IS NOT NULL AND NOT dry_run
     ORDER BY queued_at DESC LIMIT $3;

-- recordMatchRate
UPDATE sync_runs SET match_rate = $2, counts = counts || jsonb_build_object('heldAtVendor', $3::bigint) WHERE id = $1;

-- notifyMatchRateDrop
INSERT INTO notifications (kind, subject_id, payload)
     SELECT 'sync_run.match_rate_dropped', r.id,
            jsonb_build_object(
              'summary', format('Match rate of "%s" to activation "%s" dropped to %s%% (previous runs: %s%%)', s.name, a.name,
                                round(($2::float8 * 100)::numeric, 1), round(($3::float8 * 100)::numeric, 1)),
              'segment', jsonb_build_object('id', s.id, 'key', s.key, 'name', s.name),
              'activation', jsonb_build_object('id', a.id, 'name', a.name, 'mode', a.mode),
              'syncRun', jsonb_build_object('id', r.id, 'status', r.status, 'trigger', r.trigger, 'queuedAt', r.queued_at, 'counts', r.counts),
              'matchRate', $2::float8, 'baseline', $3::float8, 'drop', $4::float8, 'threshold', $5::float8)
     FROM sync_runs r JOIN activations a ON a.id = r.activation_id JOIN segments s ON s.id = a.segment_id
     WHERE r.id = $1;
