-- tryFoldLock
SELECT pg_try_advisory_xact_lock($1) AS locked;

-- foldWindow
SELECT w.folded_until::text AS "from", w.horizon::text AS "until", w.horizon > w.folded_until AS "nonEmpty"
       FROM (SELECT s.folded_until,
                    least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                                   WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                                     AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL)) AS horizon
               FROM catalogue_state s FOR UPDATE) w;

-- foldEventNames
WITH window_events AS (
       SELECT e.name, count(*) AS event_count, min(e.timestamp) AS first_seen_at, max(e.timestamp) AS last_seen_at
         FROM events e
        WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz
        GROUP BY e.name
     ), batch AS (
       SELECT * FROM window_events WHERE name IS NOT NULL
     ), upserted AS (
       INSERT INTO catalogue_events AS c (name, event_count, first_seen_at, last_seen_at)
       SELECT name, event_count, first_seen_at, last_seen_at FROM batch
       ON CONFLICT (name) DO UPDATE SET
         event_count = c.event_count + excluded.event_count,
         first_seen_at = least(c.first_seen_at, excluded.first_seen_at),
         last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at)
     )
     SELECT coalesce(sum(event_count) FILTER (WHERE name IS NOT NULL), 0)::text AS event_count, coalesce(sum(event_count), 0)::text AS all_count
       FROM window_events;

-- foldKeys
WITH source AS NOT MATERIALIZED (
       SELECT CASE WHEN e.type = 'identify' THEN 'trait' ELSE 'event' END AS scope,
              coalesce(e.name, '') AS event_name, e.id, e.profile_id, e.timestamp, e.properties AS document
         FROM events e
        WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz
          AND (e.name IS NOT NULL OR e.type = 'identify') AND jsonb_typeof(e.properties) = 'object' AND e.properties <> '{}'::jsonb
     ), sample AS NOT MATERIALIZED (
       SELECT * FROM source WHERE (hashint8(id) & 2147483647) % $3 = 0
     ), typed AS (
       SELECT scope, event_name, key, jsonb_typeof(value) AS type, count(*) AS value_count, max(timestamp) AS last_seen_at
         FROM (SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key, k1.value
              FROM source s CROSS JOIN LATERAL jsonb_each(s.document) k1
            UNION ALL
            SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key || '.' || k2.key, k2.value
              FROM source s CROSS JOIN LATERAL jsonb_each(s.document) k1
                   CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(k1.value) = 'object' THEN k1.value ELSE '{}'::jsonb END) k2) f
        WHERE f.key !~ $7
        GROUP BY scope, event_name, key, jsonb_typeof(value)
     ), keys AS (
       SELECT scope, event_name, key, array_agg(type ORDER BY type) AS types, sum(value_count) AS value_count, max(last_seen_at) AS last_seen_at
         FROM typed GROUP BY scope, event_name, key
     ), shared_values AS (
       SELECT scope, event_name, key, value, count(*) AS uses
         FROM (SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key, k1.value
              FROM sample s CROSS JOIN LATERAL jsonb_each(s.document) k1
            UNION ALL
            SELECT s.scope, s.event_name, s.profile_id, s.timestamp, k1.key || '.' || k2.key, k2.value
              FROM sample s CROSS JOIN LATERAL jsonb_each(s.document) k1
                   CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(k1.value) = 'object' THEN k1.value ELSE '{}'::jsonb END) k2) f
        WHERE jsonb_typeof(value) IN ('string', 'number', 'boolean') AND length(value::text) <= $5 AND f.key !~ $7
        GROUP BY scope, event_name, key, value
       HAVING count(DISTINCT profile_id) >= $4
     ), ranked AS (
       SELECT scope, event_name, key, value, row_number() OVER (PARTITION BY scope, event_name, key ORDER BY uses DESC, value) AS rank
         FROM shared_values
     ), examples AS (
       SELECT scope, event_name, key, jsonb_agg(value ORDER BY rank) AS examples
         FROM ranked WHERE rank <= $6 GROUP BY scope, event_name, key
     )
     INSERT INTO catalogue_keys AS c (scope, event_name, key, types, value_count, last_seen_at, examples)
     SELECT k.scope, k.event_name, k.key, k.types, k.value_count, k.last_seen_at, coalesce(x.examples, '[]'::jsonb)
       FROM keys k LEFT JOIN examples x USING (scope, event_name, key)
     ON CONFLICT (scope, event_name, key) DO UPDATE SET
       types = ARRAY(SELECT DISTINCT t FROM unnest(c.types || excluded.types) t ORDER BY t),
       value_count = c.value_count + excluded.value_count,
       last_seen_at = greatest(c.last_seen_at, excluded.last_seen_at),
       examples = (SELECT coalesce(jsonb_agg(v ORDER BY position), '[]'::jsonb)
                     FROM (SELECT v, min(position) AS position
                             FROM jsonb_array_elements(c.examples || excluded.examples) WITH ORDINALITY AS t(v, position)
                            GROUP BY v ORDER BY min(position) LIMIT $6) kept);

-- advanceWatermark
UPDATE catalogue_state SET folded_until = $1::timestamptz, folded_at = now(), events_folded = events_folded + $2;

-- readState
SELECT folded_until, folded_at, events_folded::text AS events_folded FROM catalogue_state;

-- listEventNames
SELECT name, event_count::text AS event_count, first_seen_at, last_seen_at
       FROM catalogue_events
      WHERE left(lower(name), length($1)) = lower($1)
      ORDER BY event_count DESC, name
      LIMIT $2;

-- listKeys
SELECT key, types, value_count::text AS value_count, last_seen_at, examples
       FROM catalogue_keys
      WHERE scope = $1 AND event_name = $2 AND left(lower(key), length($3)) = lower($3)
      ORDER BY value_count DESC, key
      LIMIT $4;
