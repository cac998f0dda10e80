-- lockRealtimeSetShared
SELECT pg_advisory_xact_lock_shared(hashtextextended('realtime-set', 0));

-- lockRealtimeSetExclusive
SELECT pg_advisory_xact_lock(hashtextextended('realtime-set', 0));

-- lockSegmentsShared
SELECT pg_advisory_xact_lock_shared(hashtextextended('segment-realtime:' || s.id, 0))
       FROM unnest($1::text[]) WITH ORDINALITY AS s(id, position) ORDER BY s.position;

-- lockSegmentExclusive
SELECT pg_advisory_xact_lock(hashtextextended('segment-realtime:' || $1, 0));

-- liveRealtimeSegments
SELECT s.id, s.key, s.current_version AS version, v.definition, r.version AS started_version
       FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       LEFT JOIN realtime_segments r ON r.segment_id = s.id
      WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refresh_cadence = 'realtime'
      ORDER BY s.id;

-- startRealtimeVersion
INSERT INTO realtime_segments (segment_id, version) VALUES ($1, $2)
       ON CONFLICT (segment_id) DO UPDATE SET version = excluded.version, started_at = now()
       WHERE realtime_segments.version <> excluded.version
       RETURNING 1;
DELETE FROM realtime_due WHERE segment_id = $1;

-- handOverForStart
INSERT INTO realtime_touches (profile_id)
       SELECT id FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL
       UNION SELECT profile_id FROM segment_memberships WHERE segment_id = ANY($1::uuid[]);
ANALYZE realtime_touches;

-- startedSegmentIds
SELECT segment_id FROM realtime_segments;

-- forgetStoppedSegments
DELETE FROM realtime_segments WHERE segment_id <> ALL($1::uuid[]);

-- touchProfiles
INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[]);

-- replaceDueTimes
DELETE FROM realtime_due d
      WHERE d.profile_id = ANY($1::uuid[])
        AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::uuid[], $4::float8[]) AS n(segment_id, profile_id, due_ms)
                         WHERE n.segment_id = d.segment_id AND n.profile_id = d.profile_id AND to_timestamp(n.due_ms / 1000.0) = d.due_at);
INSERT INTO realtime_due (segment_id, profile_id, due_at)
       SELECT segment_id, profile_id, to_timestamp(due_ms / 1000.0) FROM unnest($1::uuid[], $2::uuid[], $3::float8[]) AS d(segment_id, profile_id, due_ms)
     ON CONFLICT (segment_id, profile_id) DO NOTHING;

-- peekWork
SELECT profile_id FROM (SELECT profile_id FROM realtime_touches ORDER BY id LIMIT $1) t
     UNION
     SELECT profile_id FROM (SELECT profile_id FROM realtime_due WHERE due_at <= $2 ORDER BY due_at LIMIT $1) d;

-- tryLockProfiles
SELECT p.id FROM unnest($1::text[]) AS p(id) WHERE pg_try_advisory_xact_lock(hashtextextended('realtime-profile:' || p.id, 0)) LIMIT $2;

-- takeTouches
WITH taken AS (DELETE FROM realtime_touches WHERE profile_id = ANY($1::uuid[]) RETURNING profile_id, touched_at)
     SELECT profile_id, floor(extract(epoch FROM min(touched_at)) * 1000)::float8 AS first_ms FROM taken GROUP BY profile_id;

-- takeDueTimes
WITH taken AS (DELETE FROM realtime_due WHERE profile_id = ANY($1::uuid[]) AND due_at <= $2 RETURNING profile_id, due_at)
     SELECT profile_id, floor(extract(epoch FROM min(due_at)) * 1000)::float8 AS due_ms FROM taken GROUP BY profile_id;

-- profileStates
SELECT id, traits, (merged_into IS NULL AND deleted_at IS NULL) AS live FROM profiles WHERE id = ANY($1::uuid[]);

-- profileEvents
SELECT profile_id, name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties,
            CASE WHEN $4::boolean THEN type END AS type, CASE WHEN $5::boolean THEN context END AS context
       FROM events
      WHERE profile_id = ANY($1::uuid[])
        AND ($2::text[] IS NULL OR name = ANY($2::text[]) OR type = ANY($6::text[])
             OR ($7::boolean AND jsonb_typeof(context -> 'location') = 'object'))
        AND ($3::timestamptz IS NULL OR timestamp > $3);

-- membershipsOf
SELECT m.profile_id, m.segment_id, s.key FROM segment_memberships m JOIN segments s ON s.id = m.segment_id
      WHERE m.profile_id = ANY($1::uuid[]) AND s.deleted_at IS NULL;

-- recordRealtimeChanges
WITH c AS (
       INSERT INTO segment_membership_changes (run_id, cause, segment_id, profile_id, change, version, changed_at)
       SELECT NULL, 'realtime', x.segment_id, x.profile_id, x.change, x.version, $6
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS x(segment_id, profile_id, change, version)
       RETURNING id, segment_id, profile_id, change, version
     ), keys AS (
       SELECT DISTINCT k.segment_id, k.key FROM unnest($1::uuid[], $5::text[]) AS k(segment_id, key)
     ), removed AS (
       DELETE FROM segment_memberships m USING c
        WHERE c.change = 'removed' AND m.segment_id = c.segment_id AND m.profile_id = c.profile_id
     ), added AS (
       INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id)
       SELECT segment_id, profile_id, $6, NULL FROM c WHERE change = 'added'
       ON CONFLICT (segment_id, profile_id) DO NOTHING
     ), lifecycle AS (
       INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'segment:realtime:' || c.id, c.profile_id, 'track',
              CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END, $6,
              jsonb_build_object('segment_id', c.segment_id, 'segment_key', keys.key, 'segment_version', c.version,
                                 'cause', 'realtime', 'change_id', c.id)
         FROM c JOIN keys ON keys.segment_id = c.segment_id
       ON CONFLICT (message_id, source_id) DO NOTHING
     )
     SELECT count(*)::int AS count FROM c;
SELECT pg_notify('audiencekit_segment_changes', s.id) FROM (SELECT DISTINCT unnest($1::text[]) AS id) s;

-- realtimeBacklog
SELECT (SELECT count(*)::int FROM realtime_touches) AS touches,
            (SELECT count(*)::int FROM realtime_due) AS due,
            (SELECT count(*)::int FROM realtime_due WHERE due_at <= $1) AS overdue,
            (SELECT floor(extract(epoch FROM min(touched_at)) * 1000)::float8 FROM realtime_touches) AS oldest_touch_ms;

-- countSettledCorrections
SELECT count(*)::int AS corrections FROM segment_membership_changes c
      WHERE c.run_id = $1
        AND NOT EXISTS (SELECT 1 FROM realtime_touches t WHERE t.profile_id = c.profile_id)
        AND NOT EXISTS (SELECT 1 FROM realtime_due d WHERE d.profile_id = c.profile_id AND d.due_at <= $2);

-- touchProfilesChangedBy
INSERT INTO realtime_touches (profile_id) SELECT DISTINCT profile_id FROM segment_membership_changes WHERE run_id = $1;
