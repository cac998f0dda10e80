-- profileIdByIdentity
SELECT profile_id FROM identities WHERE type = $1 AND value = $2;

-- mergeWinnerOf
WITH RECURSIVE chain AS (
       SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $1
       UNION ALL
       SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < $2
     )
     SELECT id FROM chain WHERE merged_into IS NULL;

-- profileRow
SELECT id, traits, trait_timestamps, first_seen_at, last_seen_at, deleted_at, created_at FROM profiles WHERE id = $1;

-- identitiesOf
SELECT type, value, created_at FROM identities WHERE profile_id = $1 ORDER BY type, created_at, value;

-- identifiesAt
SELECT message_id, source_id, timestamp, properties AS traits FROM events
      WHERE profile_id = $1 AND type = 'identify' AND timestamp = ANY($2::timestamptz[])
      ORDER BY timestamp DESC, id DESC;

-- eventsPage
SELECT id, message_id, type, name, timestamp, received_at, properties, source_id FROM events
      WHERE profile_id = $1 AND ($2::text IS NULL OR name = $2)
        AND ($3::timestamptz IS NULL OR timestamp >= $3) AND ($4::timestamptz IS NULL OR timestamp < $4)
      ORDER BY timestamp DESC, id DESC LIMIT $5 OFFSET $6;

-- membershipsOf
SELECT m.segment_id, s.key, s.name, s.refresh_cadence, s.current_version, m.entered_at, m.run_id,
            c.cause, c.version, c.changed_at
       FROM segment_memberships m
       JOIN segments s ON s.id = m.segment_id AND s.deleted_at IS NULL
       LEFT JOIN LATERAL (
         SELECT cause, version, changed_at FROM segment_membership_changes
          WHERE segment_id = m.segment_id AND profile_id = m.profile_id AND change = 'added'
          ORDER BY changed_at DESC, id DESC LIMIT 1
       ) c ON true
      WHERE m.profile_id = $1
      ORDER BY s.key;

-- activationsFor
SELECT a.id, a.name, a.segment_id, s.key AS segment_key, a.mode, a.status, a.holdout_share, a.holdout_salt,
            a.holdout_hash_version, x.arm AS exposed_arm, x.exposed_at
       FROM activations a
       JOIN segments s ON s.id = a.segment_id AND s.deleted_at IS NULL
       LEFT JOIN activation_exposures x ON x.activation_id = a.id AND x.profile_id = $1
      ORDER BY a.created_at, a.id;

-- globalHoldout
SELECT share, salt, hash_version FROM global_holdout WHERE id = 1;

-- suppressionsOf
SELECT s.identifier_type, s.identifier_value, s.channel, s.reason, s.created_at
       FROM suppressions s JOIN unnest($1::text[], $2::text[]) AS i(type, value)
         ON s.identifier_type = i.type AND s.identifier_value = i.value
      ORDER BY s.created_at, s.id;

-- mergedInto
WITH RECURSIVE merged AS (
       SELECT id, merged_into, updated_at, 1 AS depth FROM profiles WHERE merged_into = $1
       UNION ALL
       SELECT p.id, p.merged_into, p.updated_at, m.depth + 1 FROM profiles p JOIN merged m ON p.merged_into = m.id WHERE m.depth < $2
     )
     SELECT id, merged_into, updated_at AS merged_at, depth FROM merged ORDER BY depth, updated_at, id;

-- segmentByIdOrKey (key)
SELECT s.id, s.key, s.name, s.refresh_cadence, s.current_version AS version, v.definition, v.model
       FROM segments s JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
      WHERE s.deleted_at IS NULL AND s.key = $1;

-- segmentByIdOrKey (id)
SELECT s.id, s.key, s.name, s.refresh_cadence, s.current_version AS version, v.definition, v.model
       FROM segments s JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
      WHERE s.deleted_at IS NULL AND s.id = $1::uuid;

-- eventsForEvaluation
SELECT name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties,
            CASE WHEN $4::boolean THEN type END AS type, CASE WHEN $5::boolean THEN context END AS context
       FROM events
      WHERE profile_id = $1
        AND ($2::text[] IS NULL OR name = ANY($2::text[]) OR type = ANY($6::text[])
             OR ($7::boolean AND jsonb_typeof(context -> 'location') = 'object'))
        AND ($3::timestamptz IS NULL OR timestamp > $3);

-- isMember
SELECT 1 FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2;

-- rowOfProfile (RFM scores)
SELECT * FROM (SELECT b.profile_id, b.last_purchase_at, b.frequency, b.monetary,
      extract(epoch FROM ($1::timestamptz - b.last_purchase_at)) / 86400 AS recency_days,
      (1 + 5 * (rank() OVER (ORDER BY b.last_purchase_at) - 1) / count(*) OVER ())::int AS r, (1 + 5 * (rank() OVER (ORDER BY b.frequency) - 1) / count(*) OVER ())::int AS f, (1 + 5 * (rank() OVER (ORDER BY b.monetary) - 1) / count(*) OVER ())::int AS m
    FROM (SELECT pu.profile_id, pu.last_purchase_at, pu.first_purchase_at, pu.frequency, pu.gross - coalesce(rf.refunded, 0) AS monetary
    FROM (SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, min(e.timestamp) AS first_purchase_at,
      count(DISTINCT coalesce(e.properties ->> 'order_id', e.message_id))::int AS frequency,
      coalesce(sum(CASE WHEN jsonb_typeof(e.properties #> $2::text[]) = 'number' THEN (e.properties #>> $2::text[])::numeric END), 0) AS gross
    FROM events e WHERE e.name = $3 AND e.timestamp > $4::timestamptz AND e.timestamp <= $5::timestamptz
    GROUP BY e.profile_id) pu
    JOIN profiles p ON p.id = pu.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    LEFT JOIN (SELECT NULL::uuid AS profile_id, 0::numeric AS refunded WHERE false) rf ON rf.profile_id = pu.profile_id) b) q WHERE q.profile_id = $6;

-- rowsOfQuery (one profile's CLV orders)
SELECT e.profile_id, coalesce(e.properties #>> $2::text[], e.message_id) AS order_id,
      min(e.timestamp) AS ordered_at, sum(CASE WHEN jsonb_typeof(e.properties #> $1::text[]) = 'number' THEN (e.properties #>> $1::text[])::numeric END) AS amount
    FROM events e
    JOIN profiles p ON p.id = e.profile_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
    WHERE e.name = $4 AND e.timestamp <= $5::timestamptz
      AND CASE WHEN jsonb_typeof(e.properties #> $1::text[]) = 'number' THEN (e.properties #>> $1::text[])::numeric END > 0 AND e.profile_id = $3
    GROUP BY 1, 2
    ORDER BY e.profile_id, order_id;
