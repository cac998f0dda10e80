import type { EntityManager } from 'typeorm';

/**
 * Queries of run control (cancel, retry) and of a run's rejected records. Golden SQL:
 * `__tests__/__golden__/run-control.repository.sql`.
 */

/** Statuses a cancel stops at once (nothing was sent yet). */
const NOT_STARTED = ['queued', 'awaiting_confirmation'];

/**
 * Asks a queued, held or running sync to stop: one that has not started is cancelled at once; a
 * running one keeps `running` until the runner reaches its next batch. The status after the
 * update, or null when the run is not in one of those states (or is a dry run).
 */
export async function requestSyncCancel(db: EntityManager, runId: string): Promise<string | null> {
  // TypeORM answers an UPDATE … RETURNING as [rows, affected].
  const [rows]: [{ status: string }[], number] = await db.query(
    `UPDATE sync_runs
        SET cancel_requested_at = coalesce(cancel_requested_at, now()),
            status = CASE WHEN status = ANY($2::text[]) THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = ANY($2::text[]) THEN now() ELSE finished_at END
      WHERE id = $1 AND NOT dry_run AND (status = ANY($2::text[]) OR status = 'running')
      RETURNING status`,
    [runId, NOT_STARTED],
  );
  return rows[0]?.status ?? null;
}

/** Whether a cancel was asked of the run (the runner looks before each page and each batch). */
export async function cancelRequested(db: EntityManager, runId: string): Promise<boolean> {
  const rows: { cancel_requested_at: Date | null }[] = await db.query(`SELECT cancel_requested_at FROM sync_runs WHERE id = $1`, [runId]);
  return rows[0]?.cancel_requested_at != null;
}

export interface RejectionRow {
  profile_id: string;
  kind: string;
  reason: string;
  code: string | null;
  created_at: Date;
}

/** A page of a run's rejected records, oldest first (then by profile), and their total. */
export async function rejectionsPage(
  db: EntityManager,
  runId: string,
  page: { limit: number; offset: number; kind?: string },
): Promise<{ rows: RejectionRow[]; total: number }> {
  const rows: RejectionRow[] = await db.query(
    `SELECT profile_id, kind, reason, code, created_at FROM sync_rejections
      WHERE sync_run_id = $1 AND ($2::text IS NULL OR kind = $2)
      ORDER BY created_at, profile_id LIMIT $3 OFFSET $4`,
    [runId, page.kind ?? null, page.limit, page.offset],
  );
  const total: { count: string }[] = await db.query(
    `SELECT count(*) AS count FROM sync_rejections WHERE sync_run_id = $1 AND ($2::text IS NULL OR kind = $2)`,
    [runId, page.kind ?? null],
  );
  return { rows, total: Number(total[0]?.count ?? 0) };
}
