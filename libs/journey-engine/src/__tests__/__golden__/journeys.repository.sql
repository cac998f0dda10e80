-- journeyVersions
SELECT j.id AS journey_id, j.key, j.status, v.version, j.current_version, j.holdout_salt, j.holdout_hash_version, v.definition
     FROM unnest($1::uuid[], $2::int[]) AS r(journey_id, version)
     JOIN journeys j ON j.id = r.journey_id
     JOIN journey_versions v ON v.journey_id = j.id AND v.version = coalesce(r.version, j.current_version);

-- journeyVersions (lockStatus)
SELECT j.id AS journey_id, j.key, j.status, v.version, j.current_version, j.holdout_salt, j.holdout_hash_version, v.definition
     FROM unnest($1::uuid[], $2::int[]) AS r(journey_id, version)
     JOIN journeys j ON j.id = r.journey_id
     JOIN journey_versions v ON v.journey_id = j.id AND v.version = coalesce(r.version, j.current_version)
     ORDER BY j.id FOR SHARE OF j;

-- takePendingEntries
DELETE FROM journey_pending_entries WHERE id IN (
       SELECT id FROM journey_pending_entries ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, journey_id, profile_id;

-- enqueueCurrentMembers
INSERT INTO journey_pending_entries (journey_id, profile_id, change_id)
     SELECT $1, m.profile_id, NULL FROM segment_memberships m WHERE m.segment_id = $2 ORDER BY m.profile_id
     RETURNING id;

-- latestEntries
SELECT DISTINCT ON (e.journey_id, e.profile_id) e.journey_id, e.profile_id, e.entry_number, e.entered_at, e.state
     FROM journey_entries e JOIN unnest($1::uuid[], $2::uuid[]) AS r(journey_id, profile_id)
       ON e.journey_id = r.journey_id AND e.profile_id = r.profile_id
     ORDER BY e.journey_id, e.profile_id, e.entry_number DESC;

-- insertEntries
INSERT INTO journey_entries (journey_id, profile_id, entry_number, version, arm, entered_at, due_at, state)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
     ON CONFLICT (journey_id, profile_id, entry_number) DO NOTHING
     RETURNING id;

-- claimDueEntries
SELECT id, journey_id, profile_id, entry_number, version, arm, entered_at, step_index, state, due_at, wait_started_at
     FROM journey_entries
     WHERE state IN ('active', 'waiting') AND due_at <= $1
     ORDER BY due_at
     LIMIT $2
     FOR UPDATE SKIP LOCKED;

-- eventsSeen
SELECT r.key FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[]) AS r(key, profile_id, event, since)
     WHERE EXISTS (SELECT 1 FROM events e WHERE e.profile_id = r.profile_id AND e.name = r.event AND e.timestamp >= r.since);

-- membershipsHeld
SELECT r.key FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS r(key, profile_id, segment_id)
     WHERE EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = r.segment_id AND m.profile_id = r.profile_id);

-- moveEntries
UPDATE journey_entries e SET step_index = u.step_index, state = u.state, due_at = u.due_at, wait_started_at = u.wait_started_at,
            waiting_event = u.waiting_event, held_since = NULL
     FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[])
       AS u(id, step_index, state, due_at, wait_started_at, waiting_event)
     WHERE e.id = u.id;

-- holdEntries
UPDATE journey_entries SET due_at = $2, held_since = coalesce(held_since, $3) WHERE id = ANY($1::uuid[]);

-- exitEntries
UPDATE journey_entries e SET state = 'done', outcome = x.outcome, outcome_detail = x.detail, exited_at = x.at, due_at = NULL,
            waiting_event = NULL, held_since = NULL
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS x(id, outcome, detail, at)
     WHERE e.id = x.id;

-- logSteps
INSERT INTO journey_step_log (entry_id, journey_id, step_id, outcome, delivery_key, detail, at, completed_at)
     SELECT r.entry_id, r.journey_id, r.step_id, r.outcome, r.delivery_key, r.detail, r.at, CASE WHEN r.outcome = 'in_flight' THEN NULL ELSE r.at END
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
       AS r(entry_id, journey_id, step_id, outcome, delivery_key, detail, at)
     ON CONFLICT (entry_id, step_id) DO NOTHING
     RETURNING entry_id, step_id;

-- loggedSteps
SELECT l.entry_id, l.step_id, l.outcome, l.delivery_key
     FROM journey_step_log l JOIN unnest($1::uuid[], $2::text[]) AS r(entry_id, step_id) ON l.entry_id = r.entry_id AND l.step_id = r.step_id;

-- completeSteps
UPDATE journey_step_log l SET outcome = r.outcome, detail = r.detail, completed_at = r.at
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS r(entry_id, step_id, outcome, detail, at)
     WHERE l.entry_id = r.entry_id AND l.step_id = r.step_id AND l.outcome = 'in_flight';

-- journeyAudience
SELECT external_audience_id FROM journey_audiences WHERE journey_id = $1 AND step_id = $2;

-- saveJourneyAudience
INSERT INTO journey_audiences (journey_id, step_id, destination_id, external_audience_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (journey_id, step_id) DO UPDATE SET destination_id = EXCLUDED.destination_id, external_audience_id = EXCLUDED.external_audience_id;

-- stepOutcomeCounts
SELECT step_id, outcome, CASE WHEN outcome = 'skipped' THEN split_part(detail, ':', 1) END AS verdict, count(*)::int AS count
     FROM journey_step_log WHERE journey_id = $1 GROUP BY step_id, outcome, verdict ORDER BY step_id, outcome, verdict;

-- entryCounts
SELECT version, arm, state, outcome, step_index, count(*)::int AS count FROM journey_entries WHERE journey_id = $1
       GROUP BY version, arm, state, outcome, step_index ORDER BY version, arm, state, outcome, step_index;

-- goalConversions
SELECT e.arm, count(*)::int AS entries, min(e.entered_at) AS first_entered_at,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM events ev WHERE ev.profile_id = e.profile_id AND ev.name = $2
                AND ev.timestamp >= e.entered_at AND ev.timestamp < e.entered_at + make_interval(days => $3::int)))::int AS conversions
     FROM journey_entries e
     WHERE e.journey_id = $1 AND e.arm IN ('treatment', 'control') AND e.entered_at + make_interval(days => $3::int) <= $4
     GROUP BY e.arm ORDER BY e.arm;
