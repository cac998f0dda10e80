import type { EntityManager } from 'typeorm';

/** Every query of the `notifications` outbox (the rows themselves are written by triggers; see the migration). */

export interface ClaimedNotification {
  id: string;
  kind: string;
  subjectId: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

/**
 * Takes up to `limit` due notifications, oldest first, for `leaseSeconds`: the attempt is counted
 * and the row pushed out of reach of other workers until the lease ends, so a worker that dies
 * mid-send leaves the row to be sent again (at least once, never lost).
 */
export async function claimDue(db: EntityManager, limit: number, leaseSeconds: number): Promise<ClaimedNotification[]> {
  const [rows]: [
    { id: string; kind: string; subject_id: string; payload: Record<string, unknown>; attempts: number; created_at: Date }[],
    number,
  ] = await db.query(
    `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
                    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, kind, subject_id, payload, attempts, created_at`,
    [limit, leaseSeconds],
  );
  return rows
    .map((row) => ({
      id: String(row.id),
      kind: row.kind,
      subjectId: row.subject_id,
      payload: row.payload,
      attempts: row.attempts,
      createdAt: row.created_at,
    }))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

export async function markSent(db: EntityManager, id: string): Promise<void> {
  await db.query(`UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, [id]);
}

/** A failed attempt: why, and when to try again. */
export async function markFailed(db: EntityManager, id: string, error: string, retryInSeconds: number): Promise<void> {
  await db.query(
    `UPDATE notifications SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND status = 'pending'`,
    [id, error.slice(0, 2_000), retryInSeconds],
  );
}

/** Gives up on notifications pending for longer than `maxAgeHours` (a receiver down for a day, or none configured). */
export async function expireOld(db: EntityManager, maxAgeHours: number): Promise<number> {
  const [, affected]: [unknown, number] = await db.query(
    `UPDATE notifications SET status = 'expired' WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1)`,
    [Math.round(maxAgeHours * 3600)],
  );
  return affected;
}
