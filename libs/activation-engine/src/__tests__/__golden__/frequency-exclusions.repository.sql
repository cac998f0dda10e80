-- capsApply
SELECT EXISTS (SELECT 1 FROM frequency_caps WHERE channel IN ($1, 'all')) AS found;

-- cappedSends
SELECT DISTINCT ON (r.profile_id) r.profile_id, c.name, c.channel AS cap_channel, c.max_messages, c.window_hours, n.sent
       FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
       CROSS JOIN frequency_caps c
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS sent FROM send_ledger l
         WHERE l.profile_id = r.profile_id AND (c.channel = 'all' OR l.channel = c.channel)
           AND l.sent_at > now() - make_interval(hours => c.window_hours)) n
       WHERE c.channel IN ($3, 'all') AND n.sent >= c.max_messages
         AND NOT EXISTS (SELECT 1 FROM send_ledger d WHERE d.profile_id = r.profile_id AND d.delivery_key = r.delivery_key)
       ORDER BY r.profile_id, c.channel = 'all', c.window_hours, c.id;

-- reserveSends (locked)
START TRANSACTION;
INSERT INTO send_ledger_profiles (profile_id) SELECT unnest($1::uuid[]) ORDER BY 1 ON CONFLICT DO NOTHING;
SELECT profile_id FROM send_ledger_profiles WHERE profile_id = ANY($1::uuid[]) ORDER BY profile_id FOR UPDATE;
SELECT DISTINCT ON (r.profile_id) r.profile_id, c.name, c.channel AS cap_channel, c.max_messages, c.window_hours, n.sent
       FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
       CROSS JOIN frequency_caps c
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS sent FROM send_ledger l
         WHERE l.profile_id = r.profile_id AND (c.channel = 'all' OR l.channel = c.channel)
           AND l.sent_at > now() - make_interval(hours => c.window_hours)) n
       WHERE c.channel IN ($3, 'all') AND n.sent >= c.max_messages
         AND NOT EXISTS (SELECT 1 FROM send_ledger d WHERE d.profile_id = r.profile_id AND d.delivery_key = r.delivery_key)
       ORDER BY r.profile_id, c.channel = 'all', c.window_hours, c.id;
INSERT INTO send_ledger (profile_id, delivery_key, channel, activation_id, sync_run_id, sent_at)
         SELECT r.profile_id, r.delivery_key, $3, $4, $5, clock_timestamp() FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
         ON CONFLICT (profile_id, delivery_key) DO NOTHING;
COMMIT;

-- reserveSends (no cap on the channel)
START TRANSACTION;
INSERT INTO send_ledger (profile_id, delivery_key, channel, activation_id, sync_run_id, sent_at)
         SELECT r.profile_id, r.delivery_key, $3, $4, $5, clock_timestamp() FROM unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
         ON CONFLICT (profile_id, delivery_key) DO NOTHING;
COMMIT;

-- releaseSends
DELETE FROM send_ledger l USING unnest($1::uuid[], $2::text[]) AS r(profile_id, delivery_key)
     WHERE l.profile_id = r.profile_id AND l.delivery_key = r.delivery_key;

-- pruneSendLedger
WITH horizon AS (
       SELECT now() - greatest(make_interval(hours => coalesce(max(c.window_hours), 0) + 1), make_interval(days => $1::int)) AS before
       FROM frequency_caps c),
     expired AS (
       SELECT o.profile_id, o.delivery_key FROM send_ledger o
       WHERE o.sent_at < (SELECT before FROM horizon)
         AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = o.sync_run_id AND r.finished_at IS NULL)
         AND NOT EXISTS (
           SELECT 1 FROM journey_step_log s
           WHERE s.entry_id = CASE WHEN o.delivery_key LIKE 'journey:%' THEN split_part(o.delivery_key, ':', 2)::uuid END
             AND s.step_id = split_part(o.delivery_key, ':', 3) AND s.outcome = 'in_flight')
       ORDER BY o.sent_at
       LIMIT $2
       FOR UPDATE OF o SKIP LOCKED)
     DELETE FROM send_ledger l USING expired x
     WHERE l.profile_id = x.profile_id AND l.delivery_key = x.delivery_key
     RETURNING 1;

-- excludingSegments
SELECT e.segment_id, e.key, e.position, e.list_key FROM (
       SELECT h.segment_id, s.key, h.position, l.key AS list_key, 0 AS part
       FROM activations a
       JOIN priority_lists l ON l.id = a.priority_list_id
       JOIN priority_list_entries own ON own.list_id = l.id AND own.segment_id = a.segment_id
       JOIN priority_list_entries h ON h.list_id = l.id AND h.position < own.position
       JOIN segments s ON s.id = h.segment_id
       WHERE a.id = $1
       UNION ALL
       SELECT x.segment_id, s.key, NULL, NULL, 1
       FROM activation_exclusions x JOIN segments s ON s.id = x.segment_id
       WHERE x.activation_id = $1) e
     ORDER BY e.part, e.position, e.key, e.segment_id;
