-- hasExposures
SELECT EXISTS (SELECT 1 FROM activation_exposures WHERE activation_id = $1) AS found;

-- readGlobalHoldout
SELECT share, updated_at FROM global_holdout WHERE id = 1;

-- upsertGlobalHoldout
INSERT INTO global_holdout (id, share, salt, hash_version, updated_at) VALUES (1, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET share = EXCLUDED.share, updated_at = now()
     RETURNING share, updated_at;

-- LiftDataRepository.arm
WITH first_exposure AS (
  SELECT DISTINCT ON (x.profile_id) x.profile_id, x.arm, x.exposed_at, x.sync_run_id
  FROM activation_exposures x
  WHERE x.activation_id = $1 AND x.exposed_at <= $2
  ORDER BY x.profile_id, x.exposed_at, x.arm),
  member AS (SELECT profile_id, exposed_at FROM first_exposure WHERE arm = $3),
  per_member AS (
    SELECT m.profile_id, m.exposed_at,
           COALESCE(k.y, 0)::float8 AS y, COALESCE(k.v, 0)::float8 AS v, COALESCE(k.x, 0)::float8 AS x, COALESCE(k.valued, 0) AS valued
    FROM member m
    LEFT JOIN LATERAL (
      SELECT max(CASE WHEN (e.timestamp >= m.exposed_at OR e.properties ->> 'activationId' = $1::text) THEN 1 ELSE 0 END) AS y,
             sum(CASE WHEN (e.timestamp >= m.exposed_at OR e.properties ->> 'activationId' = $1::text) THEN COALESCE(
  CASE WHEN jsonb_typeof(e.properties -> $5::text) = 'number' THEN (e.properties ->> $5::text)::float8
       WHEN jsonb_typeof(e.properties -> $5::text) = 'string' AND (e.properties ->> $5::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $5::text)::float8 END, 
  CASE WHEN jsonb_typeof(e.properties -> $6::text) = 'number' THEN (e.properties ->> $6::text)::float8
       WHEN jsonb_typeof(e.properties -> $6::text) = 'string' AND (e.properties ->> $6::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $6::text)::float8 END, 0) ELSE 0 END) AS v,
             max(CASE WHEN (e.timestamp >= m.exposed_at OR e.properties ->> 'activationId' = $1::text) THEN 0 ELSE 1 END) AS x,
             count(COALESCE(
  CASE WHEN jsonb_typeof(e.properties -> $5::text) = 'number' THEN (e.properties ->> $5::text)::float8
       WHEN jsonb_typeof(e.properties -> $5::text) = 'string' AND (e.properties ->> $5::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $5::text)::float8 END, 
  CASE WHEN jsonb_typeof(e.properties -> $6::text) = 'number' THEN (e.properties ->> $6::text)::float8
       WHEN jsonb_typeof(e.properties -> $6::text) = 'string' AND (e.properties ->> $6::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $6::text)::float8 END)) FILTER (WHERE (e.timestamp >= m.exposed_at OR e.properties ->> 'activationId' = $1::text)) AS valued
      FROM events e
      WHERE e.profile_id = m.profile_id AND e.type = 'track' AND e.name = $4
        AND e.timestamp >= m.exposed_at - $7::int * interval '1 day'
        AND e.timestamp < LEAST(m.exposed_at + $7::int * interval '1 day', $2)
    ) k ON true
  )
  SELECT count(*)::int AS members,
         COALESCE(sum(y), 0)::float8 AS conversions,
         COALESCE(sum(v), 0)::float8 AS revenue_sum,
         COALESCE(sum(v * v), 0)::float8 AS revenue_sq,
         COALESCE(sum(valued), 0)::float8 AS valued,
         COALESCE(sum(x), 0)::float8 AS sum_x,
         COALESCE(sum(x * y), 0)::float8 AS sum_xy,
         min(exposed_at) AS first_exposed_at,
         max(exposed_at) AS last_exposed_at
  FROM per_member;

-- LiftDataRepository.baseline
WITH converted AS (
    SELECT e.profile_id, sum(COALESCE(
  CASE WHEN jsonb_typeof(e.properties -> $4::text) = 'number' THEN (e.properties ->> $4::text)::float8
       WHEN jsonb_typeof(e.properties -> $4::text) = 'string' AND (e.properties ->> $4::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $4::text)::float8 END, 
  CASE WHEN jsonb_typeof(e.properties -> $5::text) = 'number' THEN (e.properties ->> $5::text)::float8
       WHEN jsonb_typeof(e.properties -> $5::text) = 'string' AND (e.properties ->> $5::text) ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (e.properties ->> $5::text)::float8 END, 0)) AS v
    FROM events e
    WHERE e.type = 'track' AND e.name = $1 AND e.timestamp >= $2 AND e.timestamp < $3
    GROUP BY e.profile_id
  )
  SELECT (SELECT count(*)::int FROM profiles WHERE deleted_at IS NULL AND merged_into IS NULL) AS members,
         count(*)::int AS conversions,
         COALESCE(sum(c.v), 0)::float8 AS revenue_sum,
         COALESCE(sum(c.v * c.v), 0)::float8 AS revenue_sq
  FROM converted c JOIN profiles p ON p.id = c.profile_id AND p.deleted_at IS NULL AND p.merged_into IS NULL;

-- LiftDataRepository.launchSize
WITH first_exposure AS (
  SELECT DISTINCT ON (x.profile_id) x.profile_id, x.arm, x.exposed_at, x.sync_run_id
  FROM activation_exposures x
  WHERE x.activation_id = $1 AND x.exposed_at <= $2
  ORDER BY x.profile_id, x.exposed_at, x.arm),
  launch AS (SELECT sync_run_id FROM first_exposure WHERE arm IN ('treatment', 'control') ORDER BY exposed_at LIMIT 1)
  SELECT count(*)::int AS members FROM first_exposure f, launch l
  WHERE f.arm IN ('treatment', 'control') AND f.sync_run_id IS NOT DISTINCT FROM l.sync_run_id;

-- lockSealedSecrets
START TRANSACTION;
SELECT id, name, secrets_ciphertext, secrets_key_id FROM destinations WHERE secrets_ciphertext IS NOT NULL ORDER BY id FOR UPDATE;
COMMIT;

-- saveSealedSecrets
UPDATE destinations SET secrets_ciphertext = $2, secrets_key_id = $3 WHERE id = $1;
