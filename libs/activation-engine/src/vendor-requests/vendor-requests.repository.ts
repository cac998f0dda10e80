import type { EntityManager } from 'typeorm';

/**
 * Queries of requests a vendor accepted but had not processed when the sync call answered
 * (`vendor_pending_requests`, issue #22): stored with the batch's answer, claimed by the worker's
 * periodic pass when due, settled or rescheduled. Goldens: `__tests__/__golden__/vendor-requests.repository.sql`.
 */

export interface DueVendorRequest {
  id: string;
  syncRunId: string;
  destinationId: string;
  activationId: string;
  requestId: string;
  profileIds: string[];
  /** Checks made so far, this one included. */
  attempts: number;
}

/**
 * Pending requests of one batch's answer; the first check `firstCheckMs` from now. A request stored
 * already (a replayed batch) is left as it is. Returns how many were stored.
 */
export async function insertPendingRequests(
  db: EntityManager,
  runId: string,
  destinationId: string,
  requests: { requestId: string; profileIds: string[] }[],
  firstCheckMs: number,
): Promise<number> {
  if (requests.length === 0) return 0;
  const rows: unknown[] = await db.query(
    `INSERT INTO vendor_pending_requests (sync_run_id, destination_id, request_id, profile_ids, next_check_at)
     SELECT $1, $2, t.request_id, array(SELECT jsonb_array_elements_text(t.profile_ids))::uuid[], now() + make_interval(secs => $5::double precision / 1000)
     FROM unnest($3::text[], $4::jsonb[]) AS t(request_id, profile_ids)
     ON CONFLICT (destination_id, request_id) DO NOTHING
     RETURNING id`,
    [
      runId,
      destinationId,
      requests.map((request) => request.requestId),
      requests.map((request) => JSON.stringify(request.profileIds)),
      firstCheckMs,
    ],
  );
  return rows.length;
}

/**
 * Claims up to `limit` requests due at `now`: their next check moves `leaseMs` ahead and their
 * attempts up by one in the same statement, so another worker's pass skips them, and a pass that
 * dies mid-check leaves them to be checked again after the lease.
 */
export async function claimDueRequests(db: EntityManager, now: Date, leaseMs: number, limit: number): Promise<DueVendorRequest[]> {
  // An UPDATE through TypeORM's query answers [rows, affected].
  const [rows]: [
    {
      id: string;
      sync_run_id: string;
      destination_id: string;
      activation_id: string;
      request_id: string;
      profile_ids: string[];
      attempts: number;
    }[],
    number,
  ] = await db.query(
    `UPDATE vendor_pending_requests p SET attempts = p.attempts + 1, next_check_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000), updated_at = now()
     FROM (SELECT d.id FROM vendor_pending_requests d
           WHERE d.state = 'pending' AND d.next_check_at <= $1::timestamptz
           ORDER BY d.next_check_at LIMIT $3 FOR UPDATE SKIP LOCKED) due, sync_runs r
     WHERE p.id = due.id AND r.id = p.sync_run_id
     RETURNING p.id, p.sync_run_id, p.destination_id, r.activation_id, p.request_id, p.profile_ids, p.attempts`,
    [now.toISOString(), leaseMs, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    syncRunId: row.sync_run_id,
    destinationId: row.destination_id,
    activationId: row.activation_id,
    requestId: row.request_id,
    profileIds: row.profile_ids,
    attempts: Number(row.attempts),
  }));
}

/** The vendor answered (`processed`) or the checks ran out (`given_up`). */
export async function settleRequest(
  db: EntityManager,
  id: string,
  state: 'processed' | 'given_up',
  lastError: string | null,
): Promise<void> {
  await db.query(`UPDATE vendor_pending_requests SET state = $2, last_error = $3, updated_at = now() WHERE id = $1`, [
    id,
    state,
    lastError,
  ]);
}

/** Still processing (or the check failed): asked again at `nextCheckAt`. */
export async function rescheduleRequest(db: EntityManager, id: string, nextCheckAt: Date, lastError: string | null): Promise<void> {
  await db.query(`UPDATE vendor_pending_requests SET next_check_at = $2, last_error = $3, updated_at = now() WHERE id = $1`, [
    id,
    nextCheckAt.toISOString(),
    lastError,
  ]);
}

/**
 * Members the vendor dropped after accepting them, no longer held: those still `present` by this
 * run become `rejected` (the next run offers them again, as any rejection). Returns the ones changed
 * (a member removed, erased or delivered again by a later run since is left alone).
 */
export async function unholdDroppedMembers(
  db: EntityManager,
  activationId: string,
  runId: string,
  profileIds: string[],
): Promise<string[]> {
  if (profileIds.length === 0) return [];
  const [rows]: [{ profile_id: string }[], number] = await db.query(
    `UPDATE activation_members SET state = 'rejected', updated_at = now()
     WHERE activation_id = $1 AND last_sync_run_id = $2 AND state = 'present' AND profile_id = ANY($3::uuid[])
     RETURNING profile_id`,
    [activationId, runId, profileIds],
  );
  return rows.map((row) => row.profile_id);
}
