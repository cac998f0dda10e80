-- insertPendingRequests
INSERT INTO vendor_pending_requests (sync_run_id, destination_id, request_id, profile_ids, next_check_at)
     SELECT $1, $2, t.request_id, array(SELECT jsonb_array_elements_text(t.profile_ids))::uuid[], now() + make_interval(secs => $5::double precision / 1000)
     FROM unnest($3::text[], $4::jsonb[]) AS t(request_id, profile_ids)
     ON CONFLICT (destination_id, request_id) DO NOTHING
     RETURNING id;

-- claimDueRequests
UPDATE vendor_pending_requests p SET attempts = p.attempts + 1, next_check_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000), updated_at = now()
     FROM (SELECT d.id FROM vendor_pending_requests d
           WHERE d.state = 'pending' AND d.next_check_at <= $1::timestamptz
           ORDER BY d.next_check_at LIMIT $3 FOR UPDATE SKIP LOCKED) due, sync_runs r
     WHERE p.id = due.id AND r.id = p.sync_run_id
     RETURNING p.id, p.sync_run_id, p.destination_id, r.activation_id, p.request_id, p.profile_ids, p.attempts;

-- rescheduleRequest
UPDATE vendor_pending_requests SET next_check_at = $2, last_error = $3, updated_at = now() WHERE id = $1;

-- unholdDroppedMembers
UPDATE activation_members SET state = 'rejected', updated_at = now()
     WHERE activation_id = $1 AND last_sync_run_id = $2 AND state = 'present' AND profile_id = ANY($3::uuid[])
     RETURNING profile_id;

-- settleRequest
UPDATE vendor_pending_requests SET state = $2, last_error = $3, updated_at = now() WHERE id = $1;
