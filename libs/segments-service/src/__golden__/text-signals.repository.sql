-- insertTextSignalConfig
INSERT INTO text_signal_configs (event, property, vocabularies) VALUES ($1, $2, $3)
     ON CONFLICT (event) DO NOTHING
     RETURNING id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at;

-- updateTextSignalConfig
UPDATE text_signal_configs SET property = $2, vocabularies = $3, updated_at = now() WHERE event = $1
     RETURNING id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at;

-- findTextSignalConfig
SELECT id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at FROM text_signal_configs WHERE event = $1;

-- listTextSignalConfigs
SELECT id, event, property, vocabularies, scored_until, events_scored, created_at, updated_at FROM text_signal_configs ORDER BY event;

-- tryScoringLock
SELECT pg_try_advisory_xact_lock(hashtext('audiencekit.text-signals.scoring')) AS locked;

-- scoringHorizon
SELECT least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                           WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                             AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL))::text AS horizon;

-- unscoredEvents
SELECT e.id::text AS id, e.received_at::text AS received_at,
            CASE WHEN jsonb_typeof(e.properties #> $2::text[]) = 'string' THEN e.properties #>> $2::text[] END AS text
       FROM events e
      WHERE e.name = $1 AND e.signals IS NULL
        AND e.received_at >= coalesce($3::timestamptz, '-infinity') AND e.received_at < $4::timestamptz
      ORDER BY e.received_at, e.id
      LIMIT $5;

-- storeSignals
UPDATE events e SET signals = s.signals
       FROM jsonb_to_recordset($1::jsonb) AS s(id bigint, signals jsonb)
      WHERE e.id = s.id AND e.signals IS NULL;

-- advanceWatermark
UPDATE text_signal_configs SET scored_until = $2::timestamptz, events_scored = events_scored + $3 WHERE id = $1;

-- deleteTextSignalConfig
DELETE FROM text_signal_configs WHERE event = $1;
