-- insertFitJob
INSERT INTO model_fit_jobs (kind, segment_id, input, actor, work, scheduled_for)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (segment_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING
       RETURNING *;

-- findFitJob
SELECT * FROM model_fit_jobs WHERE id = $1;

-- markFitJobRunning
UPDATE model_fit_jobs SET state = 'running', stage = 'starting', progress = 0, started_at = now() WHERE id = $1 AND state IN ('queued', 'running');

-- updateFitJobProgress
UPDATE model_fit_jobs SET stage = $2, progress = $3 WHERE id = $1 AND state = 'running';

-- finishFitJob
UPDATE model_fit_jobs
        SET state = $2, stage = $2, progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
            result = $3, error = $4, segment_id = coalesce($5, segment_id), finished_at = now()
      WHERE id = $1;

-- fitJobsOfSegment
SELECT * FROM model_fit_jobs WHERE segment_id = $1 ORDER BY created_at DESC, id LIMIT $2;

-- segmentsWithRefitCadence
SELECT s.id, s.refit_cadence,
            greatest(s.created_at, coalesce((SELECT max(j.scheduled_for) FROM model_fit_jobs j WHERE j.segment_id = s.id), s.created_at)) AS since
       FROM segments s
      WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refit_cadence IS NOT NULL;

-- countFeatureRows
SELECT count(*)::int AS rows FROM (SELECT p.id AS profile_id FROM profiles p) AS feature_rows;
