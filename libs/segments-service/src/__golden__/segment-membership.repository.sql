-- previewSize
SELECT count(DISTINCT q.profile_id)::int AS size FROM (SELECT m.profile_id FROM segment_memberships m WHERE m.segment_id = $1) q;

-- previewSample
SELECT DISTINCT q.profile_id FROM (SELECT m.profile_id FROM segment_memberships m WHERE m.segment_id = $1) q ORDER BY q.profile_id LIMIT 10;

-- runsPage
SELECT "SegmentRunEntity"."id" AS "SegmentRunEntity_id", "SegmentRunEntity"."segment_id" AS "SegmentRunEntity_segment_id", "SegmentRunEntity"."version" AS "SegmentRunEntity_version", "SegmentRunEntity"."status" AS "SegmentRunEntity_status", "SegmentRunEntity"."trigger" AS "SegmentRunEntity_trigger", "SegmentRunEntity"."scheduled_for" AS "SegmentRunEntity_scheduled_for", "SegmentRunEntity"."queued_at" AS "SegmentRunEntity_queued_at", "SegmentRunEntity"."started_at" AS "SegmentRunEntity_started_at", "SegmentRunEntity"."finished_at" AS "SegmentRunEntity_finished_at", "SegmentRunEntity"."size" AS "SegmentRunEntity_size", "SegmentRunEntity"."adds" AS "SegmentRunEntity_adds", "SegmentRunEntity"."removes" AS "SegmentRunEntity_removes", "SegmentRunEntity"."duration_ms" AS "SegmentRunEntity_duration_ms", "SegmentRunEntity"."quality" AS "SegmentRunEntity_quality", "SegmentRunEntity"."error" AS "SegmentRunEntity_error", "SegmentRunEntity"."corrections" AS "SegmentRunEntity_corrections", "SegmentRunEntity"."cancel_requested_at" AS "SegmentRunEntity_cancel_requested_at" FROM "segment_runs" "SegmentRunEntity" WHERE (("SegmentRunEntity"."segment_id" = $1)) ORDER BY "SegmentRunEntity"."queued_at" DESC LIMIT 10 OFFSET 0;

-- findRunOf
SELECT "SegmentRunEntity"."id" AS "SegmentRunEntity_id", "SegmentRunEntity"."segment_id" AS "SegmentRunEntity_segment_id", "SegmentRunEntity"."version" AS "SegmentRunEntity_version", "SegmentRunEntity"."status" AS "SegmentRunEntity_status", "SegmentRunEntity"."trigger" AS "SegmentRunEntity_trigger", "SegmentRunEntity"."scheduled_for" AS "SegmentRunEntity_scheduled_for", "SegmentRunEntity"."queued_at" AS "SegmentRunEntity_queued_at", "SegmentRunEntity"."started_at" AS "SegmentRunEntity_started_at", "SegmentRunEntity"."finished_at" AS "SegmentRunEntity_finished_at", "SegmentRunEntity"."size" AS "SegmentRunEntity_size", "SegmentRunEntity"."adds" AS "SegmentRunEntity_adds", "SegmentRunEntity"."removes" AS "SegmentRunEntity_removes", "SegmentRunEntity"."duration_ms" AS "SegmentRunEntity_duration_ms", "SegmentRunEntity"."quality" AS "SegmentRunEntity_quality", "SegmentRunEntity"."error" AS "SegmentRunEntity_error", "SegmentRunEntity"."corrections" AS "SegmentRunEntity_corrections", "SegmentRunEntity"."cancel_requested_at" AS "SegmentRunEntity_cancel_requested_at" FROM "segment_runs" "SegmentRunEntity" WHERE (("SegmentRunEntity"."id" = $1) AND ("SegmentRunEntity"."segment_id" = $2)) LIMIT 1;

-- countMembersAsOf
SELECT count(*)::int AS total FROM (SELECT DISTINCT ON (profile_id) profile_id, change, changed_at, run_id, version
                    FROM segment_membership_changes WHERE segment_id = $1 AND changed_at <= $2
                    ORDER BY profile_id, changed_at DESC, id DESC) l WHERE l.change = 'added';

-- membersAsOfPage
SELECT l.profile_id, l.changed_at, l.run_id, l.version FROM (SELECT DISTINCT ON (profile_id) profile_id, change, changed_at, run_id, version
                    FROM segment_membership_changes WHERE segment_id = $1 AND changed_at <= $2
                    ORDER BY profile_id, changed_at DESC, id DESC) l WHERE l.change = 'added' ORDER BY l.profile_id LIMIT $3 OFFSET $4;

-- versionInForce
SELECT version FROM segment_runs WHERE segment_id = $1 AND status = 'succeeded' AND finished_at <= $2 ORDER BY finished_at DESC LIMIT 1;

-- membershipChangesPage
SELECT c.id, c.profile_id, c.change, c.cause, c.run_id, c.version, c.changed_at FROM segment_membership_changes c WHERE c.segment_id = $1 ORDER BY c.id DESC LIMIT $2;

-- membershipChangesPage (after)
SELECT * FROM (SELECT c.id, c.profile_id, c.change, c.cause, c.run_id, c.version, c.changed_at FROM segment_membership_changes c WHERE c.segment_id = $1 AND c.id > $2
       ORDER BY c.id LIMIT $3) oldest_first ORDER BY id DESC;

-- currentSize
SELECT count(*)::int AS size FROM segment_memberships WHERE segment_id = $1;

-- overlapCounts
SELECT (SELECT count(*) FROM segment_memberships WHERE segment_id = $1)::int AS size,
              (SELECT count(*) FROM segment_memberships WHERE segment_id = $2)::int AS other_size,
              (SELECT count(*) FROM segment_memberships a JOIN segment_memberships b ON b.profile_id = a.profile_id AND b.segment_id = $2
                WHERE a.segment_id = $1)::int AS intersection;

-- liveProfileTraits
SELECT traits FROM profiles WHERE id = $1 AND merged_into IS NULL AND deleted_at IS NULL;

-- profileEventsUntil
SELECT name, timestamp, properties FROM events WHERE profile_id = $1 AND timestamp <= $2;

-- segmentsOfProfile
SELECT s.id, s.key FROM segment_memberships m JOIN segments s ON s.id = m.segment_id WHERE m.profile_id = $1 AND s.deleted_at IS NULL;

-- featureRowsOf
SELECT p.id AS profile_id FROM profiles p ORDER BY p.id;

-- countPurchasers
SELECT count(*)::int AS purchasers FROM (SELECT p.id AS profile_id FROM profiles p) s;
