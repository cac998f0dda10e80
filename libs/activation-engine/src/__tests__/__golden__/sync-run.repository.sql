-- insertRun
INSERT INTO sync_runs (activation_id, segment_run_id, segment_version, status, dry_run, trigger, trigger_key, requested_by, plan, started_at)
     SELECT a.id,
            (SELECT r.id FROM segment_runs r WHERE r.segment_id = a.segment_id AND r.status = 'succeeded' ORDER BY r.finished_at DESC NULLS LAST LIMIT 1),
            s.current_version, $2, $3, $4, $5, $6, $7::jsonb, now()
     FROM activations a JOIN segments s ON s.id = a.segment_id WHERE a.id = $1
     ON CONFLICT (activation_id, trigger_key) DO NOTHING
     RETURNING id;
SELECT "SyncRunEntity"."id" AS "SyncRunEntity_id", "SyncRunEntity"."activation_id" AS "SyncRunEntity_activation_id", "SyncRunEntity"."segment_run_id" AS "SyncRunEntity_segment_run_id", "SyncRunEntity"."segment_version" AS "SyncRunEntity_segment_version", "SyncRunEntity"."status" AS "SyncRunEntity_status", "SyncRunEntity"."dry_run" AS "SyncRunEntity_dry_run", "SyncRunEntity"."counts" AS "SyncRunEntity_counts", "SyncRunEntity"."started_at" AS "SyncRunEntity_started_at", "SyncRunEntity"."finished_at" AS "SyncRunEntity_finished_at", "SyncRunEntity"."errors" AS "SyncRunEntity_errors", "SyncRunEntity"."trigger" AS "SyncRunEntity_trigger", "SyncRunEntity"."trigger_key" AS "SyncRunEntity_trigger_key", "SyncRunEntity"."requested_by" AS "SyncRunEntity_requested_by", "SyncRunEntity"."queued_at" AS "SyncRunEntity_queued_at", "SyncRunEntity"."duration_ms" AS "SyncRunEntity_duration_ms", "SyncRunEntity"."progress" AS "SyncRunEntity_progress", "SyncRunEntity"."plan" AS "SyncRunEntity_plan", "SyncRunEntity"."match_rate" AS "SyncRunEntity_match_rate", "SyncRunEntity"."cancel_requested_at" AS "SyncRunEntity_cancel_requested_at" FROM "sync_runs" "SyncRunEntity" WHERE (("SyncRunEntity"."id" = $1)) LIMIT 1;

-- findRun
SELECT "SyncRunEntity"."id" AS "SyncRunEntity_id", "SyncRunEntity"."activation_id" AS "SyncRunEntity_activation_id", "SyncRunEntity"."segment_run_id" AS "SyncRunEntity_segment_run_id", "SyncRunEntity"."segment_version" AS "SyncRunEntity_segment_version", "SyncRunEntity"."status" AS "SyncRunEntity_status", "SyncRunEntity"."dry_run" AS "SyncRunEntity_dry_run", "SyncRunEntity"."counts" AS "SyncRunEntity_counts", "SyncRunEntity"."started_at" AS "SyncRunEntity_started_at", "SyncRunEntity"."finished_at" AS "SyncRunEntity_finished_at", "SyncRunEntity"."errors" AS "SyncRunEntity_errors", "SyncRunEntity"."trigger" AS "SyncRunEntity_trigger", "SyncRunEntity"."trigger_key" AS "SyncRunEntity_trigger_key", "SyncRunEntity"."requested_by" AS "SyncRunEntity_requested_by", "SyncRunEntity"."queued_at" AS "SyncRunEntity_queued_at", "SyncRunEntity"."duration_ms" AS "SyncRunEntity_duration_ms", "SyncRunEntity"."progress" AS "SyncRunEntity_progress", "SyncRunEntity"."plan" AS "SyncRunEntity_plan", "SyncRunEntity"."match_rate" AS "SyncRunEntity_match_rate", "SyncRunEntity"."cancel_requested_at" AS "SyncRunEntity_cancel_requested_at" FROM "sync_runs" "SyncRunEntity" WHERE (("SyncRunEntity"."id" = $1)) LIMIT 1;

-- listRuns
SELECT "SyncRunEntity"."id" AS "SyncRunEntity_id", "SyncRunEntity"."activation_id" AS "SyncRunEntity_activation_id", "SyncRunEntity"."segment_run_id" AS "SyncRunEntity_segment_run_id", "SyncRunEntity"."segment_version" AS "SyncRunEntity_segment_version", "SyncRunEntity"."status" AS "SyncRunEntity_status", "SyncRunEntity"."dry_run" AS "SyncRunEntity_dry_run", "SyncRunEntity"."counts" AS "SyncRunEntity_counts", "SyncRunEntity"."started_at" AS "SyncRunEntity_started_at", "SyncRunEntity"."finished_at" AS "SyncRunEntity_finished_at", "SyncRunEntity"."errors" AS "SyncRunEntity_errors", "SyncRunEntity"."trigger" AS "SyncRunEntity_trigger", "SyncRunEntity"."trigger_key" AS "SyncRunEntity_trigger_key", "SyncRunEntity"."requested_by" AS "SyncRunEntity_requested_by", "SyncRunEntity"."queued_at" AS "SyncRunEntity_queued_at", "SyncRunEntity"."duration_ms" AS "SyncRunEntity_duration_ms", "SyncRunEntity"."progress" AS "SyncRunEntity_progress", "SyncRunEntity"."plan" AS "SyncRunEntity_plan", "SyncRunEntity"."match_rate" AS "SyncRunEntity_match_rate", "SyncRunEntity"."cancel_requested_at" AS "SyncRunEntity_cancel_requested_at" FROM "sync_runs" "SyncRunEntity" WHERE (("SyncRunEntity"."activation_id" = $1) AND ("SyncRunEntity"."status" = $2)) ORDER BY "SyncRunEntity"."queued_at" DESC, "SyncRunEntity"."id" DESC LIMIT 20 OFFSET 0;

-- markFullResync
UPDATE sync_runs SET plan = coalesce(plan, '{}'::jsonb) || '{"fullResync": true}'::jsonb WHERE id = $1;

-- recordGuardDecision
UPDATE sync_runs SET status = $2, plan = coalesce(plan, '{}'::jsonb) || jsonb_build_object('guard', $3::jsonb) WHERE id = $1 AND status = 'queued';

-- releaseHeldRun
UPDATE sync_runs SET status = 'queued', queued_at = now(),
            plan = jsonb_set(coalesce(plan, '{}'::jsonb), '{guard}', coalesce(plan->'guard', '{}'::jsonb) || jsonb_build_object('confirmedBy', $2::text, 'confirmedAt', now()))
     WHERE id = $1 AND status = $3 RETURNING id;

-- markRunning
UPDATE sync_runs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued';

-- saveProgress
UPDATE sync_runs SET progress = $2::jsonb WHERE id = $1;

-- addCounts
UPDATE sync_runs SET counts = (
       SELECT coalesce(jsonb_object_agg(key, coalesce((counts ->> key)::bigint, 0) + coalesce(($2::jsonb ->> key)::bigint, 0)), '{}'::jsonb)
       FROM jsonb_object_keys(counts || $2::jsonb) AS key)
     WHERE id = $1;

-- appendErrors
UPDATE sync_runs SET
       errors = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN coalesce(errors, '[]'::jsonb) || $2::jsonb ELSE errors END,
       counts = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN counts
                ELSE counts || jsonb_build_object('errorsDropped', coalesce((counts ->> 'errorsDropped')::bigint, 0) + jsonb_array_length($2::jsonb)) END
     WHERE id = $1;

-- countsOf
SELECT counts FROM sync_runs WHERE id = $1;

-- recordAudienceSize
UPDATE sync_runs SET counts = counts || jsonb_build_object('audienceSize', $2::bigint) WHERE id = $1;

-- finishRun
UPDATE sync_runs SET status = $2, finished_at = now(), duration_ms = $3,
            counts = CASE WHEN $4::jsonb IS NULL THEN counts ELSE $4::jsonb END,
            plan = coalesce($5::jsonb, plan),
            errors = CASE WHEN $6::jsonb IS NULL THEN errors ELSE $6::jsonb END
     WHERE id = $1;

-- failRun
UPDATE sync_runs SET status = 'failed', finished_at = now(),
            errors = coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('kind', 'gave_up', 'message', $2::text, 'at', now()))
     WHERE id = $1 AND status IN ('queued', 'running');

-- lastRunSentCount
SELECT counts->>'sent' AS sent FROM sync_runs
     WHERE activation_id = $1 AND dry_run = false AND status IN ('succeeded', 'partial')
     ORDER BY finished_at DESC NULLS LAST LIMIT 1;

-- auditGuard
INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, 'sync-runs', $3, $4::jsonb);

-- findLiveActivation
SELECT "a"."id" AS "a_id", "a"."name" AS "a_name", "a"."segment_id" AS "a_segment_id", "a"."destination_id" AS "a_destination_id", "a"."mode" AS "a_mode", "a"."holdout_share" AS "a_holdout_share", "a"."holdout_salt" AS "a_holdout_salt", "a"."holdout_hash_version" AS "a_holdout_hash_version", "a"."priority_list_id" AS "a_priority_list_id", "a"."schedule" AS "a_schedule", "a"."message" AS "a_message", "a"."status" AS "a_status", "a"."external_audience_id" AS "a_external_audience_id", "a"."created_at" AS "a_created_at", "a"."updated_at" AS "a_updated_at" FROM "activations" "a" INNER JOIN "destinations" "d" ON "d"."id" = "a"."destination_id" AND "d"."deleted_at" IS NULL WHERE "a"."id" = $1 AND "a"."status" NOT IN ($2, $3);

-- activationExists
SELECT 1 AS "row_exists" FROM (SELECT 1 AS dummy_column) "dummy_table" WHERE EXISTS (SELECT 1 FROM "activations" "ActivationEntity" WHERE (("ActivationEntity"."id" = $1))) LIMIT 1;

-- activationMode
SELECT mode FROM activations WHERE id = $1;

-- destinationIdOf
SELECT destination_id FROM activations WHERE id = $1;

-- liveness
SELECT d.deleted_at, a.status FROM activations a LEFT JOIN destinations d ON d.id = a.destination_id WHERE a.id = $1;

-- setExternalAudienceId
UPDATE activations SET external_audience_id = $2 WHERE id = $1;

-- segmentSize
SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1;

-- globalHoldout
SELECT share, salt, hash_version FROM global_holdout WHERE id = 1;

-- tryLockDestination
SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked;
SELECT pg_advisory_unlock(hashtextextended($1, 0));

-- nextSeq
SELECT coalesce(max(seq), 0) + 1 AS next FROM sync_batches WHERE sync_run_id = $1;

-- recordBatch
INSERT INTO sync_batches (sync_run_id, seq, action, profile_ids, idempotency_key, status) VALUES ($1, $2, $3, $4::uuid[], $5, 'in_flight');

-- inFlightBatches
SELECT seq, action, profile_ids, idempotency_key FROM sync_batches WHERE sync_run_id = $1 AND status = 'in_flight' ORDER BY seq;

-- ackBatch
UPDATE sync_batches SET status = 'acked', attempts = attempts + $3, updated_at = now() WHERE sync_run_id = $1 AND seq = $2;

-- failBatch
UPDATE sync_batches SET status = 'failed', attempts = attempts + $3, error = $4, updated_at = now() WHERE sync_run_id = $1 AND seq = $2;

-- dropInFlightBatch
UPDATE sync_batches SET status = 'failed', error = 'no member of the batch is eligible any more' WHERE sync_run_id = $1 AND seq = $2;

-- setMemberState
INSERT INTO activation_members (activation_id, profile_id, state, identifiers, last_sync_run_id, updated_at, delivered_at)
     SELECT $1, t.profile_id, $3, t.identifiers, $4, now(), CASE WHEN $3 IN ('present', 'sent') THEN now() END
     FROM unnest($2::uuid[], $5::jsonb[]) AS t(profile_id, identifiers)
     ON CONFLICT (activation_id, profile_id) DO UPDATE
       SET state = excluded.state, identifiers = excluded.identifiers,
           last_sync_run_id = excluded.last_sync_run_id, updated_at = now(),
           delivered_at = coalesce(excluded.delivered_at, activation_members.delivered_at);

-- countHeld
SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND profile_id = ANY($2::uuid[]) AND state = 'present';

-- touchMembers
INSERT INTO activation_members (activation_id, profile_id, state, last_sync_run_id, updated_at)
     SELECT $1, unnest($2::uuid[]), 'failed', $3, now()
     ON CONFLICT (activation_id, profile_id) DO UPDATE SET last_sync_run_id = excluded.last_sync_run_id, updated_at = now();

-- forgetErasedRejectedRemoves
UPDATE activation_members m SET state = 'rejected', identifiers = NULL, last_sync_run_id = $3, updated_at = now()
     FROM profiles p
     WHERE m.activation_id = $1 AND m.profile_id = ANY($2::uuid[]) AND p.id = m.profile_id AND p.deleted_at IS NOT NULL
     RETURNING m.profile_id;

-- dropReplaced
UPDATE activation_members SET state = 'removed', identifiers = NULL, last_sync_run_id = $2, updated_at = now()
     WHERE activation_id = $1 AND state = 'present' AND last_sync_run_id IS DISTINCT FROM $2 RETURNING profile_id;

-- analyzeMembers
ANALYZE activation_members;

-- recordRejections
INSERT INTO sync_rejections (sync_run_id, profile_id, kind, reason, code)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (sync_run_id, profile_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, code = excluded.code;

-- recordSuppression
INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING;

-- recordTreatmentExposures
INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, unnest($2::uuid[]), 'treatment', now(), $3 ON CONFLICT DO NOTHING;

-- forgetHeldOutExposures
DELETE FROM activation_exposures e
     WHERE e.activation_id = $1 AND e.sync_run_id = $2 AND e.arm <> 'treatment'
       AND ($3::boolean OR EXISTS (SELECT 1 FROM unnest($4::uuid[], $5::uuid[]) AS r(from_id, to_id)
                                   WHERE (r.from_id IS NULL OR e.profile_id > r.from_id) AND e.profile_id <= r.to_id));

-- recordHeldOutExposures
WITH handled AS (
       SELECT state FROM activation_members
       WHERE activation_id = $1 AND last_sync_run_id = $4
         AND ($5::uuid IS NULL OR profile_id > $5::uuid) AND profile_id <= $6::uuid)
     INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, t.profile_id, t.arm, now(), $4 FROM unnest($2::uuid[], $3::text[]) AS t(profile_id, arm)
     WHERE EXISTS (SELECT 1 FROM handled WHERE state IN ('present', 'sent'))
        OR ($7::int = 0 AND NOT EXISTS (SELECT 1 FROM handled))
     ON CONFLICT DO NOTHING;
