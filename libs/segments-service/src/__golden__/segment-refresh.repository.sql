-- insertQueuedRun
INSERT INTO segment_runs (segment_id, version, status, trigger, scheduled_for)
         VALUES ($1, $2, 'queued', $3, $4)
         ON CONFLICT (segment_id, scheduled_for) DO NOTHING
         RETURNING id;
SELECT "SegmentRunEntity"."id" AS "SegmentRunEntity_id", "SegmentRunEntity"."segment_id" AS "SegmentRunEntity_segment_id", "SegmentRunEntity"."version" AS "SegmentRunEntity_version", "SegmentRunEntity"."status" AS "SegmentRunEntity_status", "SegmentRunEntity"."trigger" AS "SegmentRunEntity_trigger", "SegmentRunEntity"."scheduled_for" AS "SegmentRunEntity_scheduled_for", "SegmentRunEntity"."queued_at" AS "SegmentRunEntity_queued_at", "SegmentRunEntity"."started_at" AS "SegmentRunEntity_started_at", "SegmentRunEntity"."finished_at" AS "SegmentRunEntity_finished_at", "SegmentRunEntity"."size" AS "SegmentRunEntity_size", "SegmentRunEntity"."adds" AS "SegmentRunEntity_adds", "SegmentRunEntity"."removes" AS "SegmentRunEntity_removes", "SegmentRunEntity"."duration_ms" AS "SegmentRunEntity_duration_ms", "SegmentRunEntity"."quality" AS "SegmentRunEntity_quality", "SegmentRunEntity"."error" AS "SegmentRunEntity_error", "SegmentRunEntity"."corrections" AS "SegmentRunEntity_corrections", "SegmentRunEntity"."cancel_requested_at" AS "SegmentRunEntity_cancel_requested_at" FROM "segment_runs" "SegmentRunEntity" WHERE (("SegmentRunEntity"."id" = $1)) LIMIT 1;

-- findRun
SELECT "SegmentRunEntity"."id" AS "SegmentRunEntity_id", "SegmentRunEntity"."segment_id" AS "SegmentRunEntity_segment_id", "SegmentRunEntity"."version" AS "SegmentRunEntity_version", "SegmentRunEntity"."status" AS "SegmentRunEntity_status", "SegmentRunEntity"."trigger" AS "SegmentRunEntity_trigger", "SegmentRunEntity"."scheduled_for" AS "SegmentRunEntity_scheduled_for", "SegmentRunEntity"."queued_at" AS "SegmentRunEntity_queued_at", "SegmentRunEntity"."started_at" AS "SegmentRunEntity_started_at", "SegmentRunEntity"."finished_at" AS "SegmentRunEntity_finished_at", "SegmentRunEntity"."size" AS "SegmentRunEntity_size", "SegmentRunEntity"."adds" AS "SegmentRunEntity_adds", "SegmentRunEntity"."removes" AS "SegmentRunEntity_removes", "SegmentRunEntity"."duration_ms" AS "SegmentRunEntity_duration_ms", "SegmentRunEntity"."quality" AS "SegmentRunEntity_quality", "SegmentRunEntity"."error" AS "SegmentRunEntity_error", "SegmentRunEntity"."corrections" AS "SegmentRunEntity_corrections", "SegmentRunEntity"."cancel_requested_at" AS "SegmentRunEntity_cancel_requested_at" FROM "segment_runs" "SegmentRunEntity" WHERE (("SegmentRunEntity"."id" = $1)) LIMIT 1;

-- segmentKeyOfRun
SELECT s.key FROM segment_runs r JOIN segments s ON s.id = r.segment_id WHERE r.id = $1;

-- updateRun
UPDATE "segment_runs" SET "status" = $1, "started_at" = $2 WHERE "id" IN ($3);

-- tryLockSegmentRefresh
SELECT pg_try_advisory_xact_lock(hashtextextended('segment-refresh:' || $1, 0)) AS locked;

-- createRefreshMembers
CREATE TEMP TABLE refresh_members (profile_id uuid PRIMARY KEY) ON COMMIT DROP;

-- insertRefreshMemberIds
INSERT INTO refresh_members (profile_id) SELECT DISTINCT unnest($1::uuid[]);

-- insertRefreshMembersOf
INSERT INTO refresh_members (profile_id) SELECT DISTINCT q.profile_id FROM (SELECT p.id AS profile_id FROM profiles p WHERE p.id <> $1) q;

-- countMembers
SELECT count(*)::int AS previous FROM segment_memberships WHERE segment_id = $1;

-- recordAdds
WITH inserted AS (
         INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at) SELECT $1::uuid, $2::uuid, n.profile_id, 'added', $3::int, $4::timestamptz FROM refresh_members n
       WHERE NOT EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = $2 AND m.profile_id = n.profile_id)
         RETURNING 1)
       SELECT count(*)::int AS count FROM inserted;

-- recordRemoves
WITH inserted AS (
         INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at) SELECT $1::uuid, $2::uuid, m.profile_id, 'removed', $3::int, $4::timestamptz FROM segment_memberships m
       WHERE m.segment_id = $2 AND NOT EXISTS (SELECT 1 FROM refresh_members n WHERE n.profile_id = m.profile_id)
         RETURNING 1)
       SELECT count(*)::int AS count FROM inserted;

-- applyRecordedChanges
DELETE FROM segment_memberships m USING segment_membership_changes c
       WHERE c.run_id = $1 AND c.change = 'removed' AND m.segment_id = $2 AND m.profile_id = c.profile_id;
INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id)
       SELECT segment_id, profile_id, changed_at, run_id FROM segment_membership_changes WHERE run_id = $1 AND change = 'added';

-- insertEntryExitEvents
INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'segment:' || c.run_id || ':' || c.profile_id || ':' || c.change, c.profile_id, 'track',
              CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END, $2::timestamptz,
              jsonb_build_object('segment_id', c.segment_id, 'segment_key', $3::text, 'segment_version', c.version, 'run_id', c.run_id)
       FROM segment_membership_changes c WHERE c.run_id = $1
       ON CONFLICT (message_id, source_id) DO NOTHING;

-- saveSucceededRun
SELECT "SegmentRunEntity"."id" AS "SegmentRunEntity_id", "SegmentRunEntity"."segment_id" AS "SegmentRunEntity_segment_id", "SegmentRunEntity"."version" AS "SegmentRunEntity_version", "SegmentRunEntity"."status" AS "SegmentRunEntity_status", "SegmentRunEntity"."trigger" AS "SegmentRunEntity_trigger", "SegmentRunEntity"."scheduled_for" AS "SegmentRunEntity_scheduled_for", "SegmentRunEntity"."queued_at" AS "SegmentRunEntity_queued_at", "SegmentRunEntity"."started_at" AS "SegmentRunEntity_started_at", "SegmentRunEntity"."finished_at" AS "SegmentRunEntity_finished_at", "SegmentRunEntity"."size" AS "SegmentRunEntity_size", "SegmentRunEntity"."adds" AS "SegmentRunEntity_adds", "SegmentRunEntity"."removes" AS "SegmentRunEntity_removes", "SegmentRunEntity"."duration_ms" AS "SegmentRunEntity_duration_ms", "SegmentRunEntity"."quality" AS "SegmentRunEntity_quality", "SegmentRunEntity"."error" AS "SegmentRunEntity_error", "SegmentRunEntity"."corrections" AS "SegmentRunEntity_corrections", "SegmentRunEntity"."cancel_requested_at" AS "SegmentRunEntity_cancel_requested_at" FROM "segment_runs" "SegmentRunEntity" WHERE "SegmentRunEntity"."id" IN ($1);
UPDATE "segment_runs" SET "status" = $1, "finished_at" = $2, "size" = $3, "adds" = $4, "removes" = $5, "duration_ms" = $6 WHERE "id" IN ($7);

-- requestRunCancel
UPDATE segment_runs
        SET cancel_requested_at = coalesce(cancel_requested_at, now()),
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
      WHERE id = $1 AND segment_id = $2 AND status IN ('queued', 'running')
      RETURNING status;

-- lockRunCancelRequested
SELECT cancel_requested_at FROM segment_runs WHERE id = $1 FOR UPDATE;
