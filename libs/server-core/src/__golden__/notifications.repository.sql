-- expireOld
UPDATE notifications SET status = 'expired' WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1);

-- claimDue
UPDATE notifications SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, subject_id, payload, attempts, created_at;

-- markSent
UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1;

-- markFailed
UPDATE notifications SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND status = 'pending';
