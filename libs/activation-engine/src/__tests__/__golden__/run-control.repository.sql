-- requestSyncCancel
UPDATE sync_runs
        SET cancel_requested_at = coalesce(cancel_requested_at, now()),
            status = CASE WHEN status = ANY($2::text[]) THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = ANY($2::text[]) THEN now() ELSE finished_at END
      WHERE id = $1 AND NOT dry_run AND (status = ANY($2::text[]) OR status = 'running')
      RETURNING status;

-- cancelRequested
SELECT cancel_requested_at FROM sync_runs WHERE id = $1;

-- rejectionsPage
SELECT profile_id, kind, reason, code, created_at FROM sync_rejections
      WHERE sync_run_id = $1 AND ($2::text IS NULL OR kind = $2)
      ORDER BY created_at, profile_id LIMIT $3 OFFSET $4;
SELECT count(*) AS count FROM sync_rejections WHERE sync_run_id = $1 AND ($2::text IS NULL OR kind = $2);
