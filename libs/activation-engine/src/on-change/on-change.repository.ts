import type { EntityManager } from 'typeorm';

/** `sync_runs.trigger` of a run the on-change flusher made: its diff is scoped to `sync_run_profiles`. */
export const ON_CHANGE_TRIGGER = 'on_change';
/** The activation schedule that delivers a segment's membership changes as they happen. */
export const ON_CHANGE_SCHEDULE = 'on_change';

export interface PendingActivation {
  activationId: string;
  pending: number;
}

export interface LockedActivation {
  id: string;
  destinationId: string;
  status: string;
  schedule: string;
}

export interface ClaimedChange {
  profileId: string;
  change: string;
  changeId: string;
  enqueuedAt: Date;
}

/** Activations with changes waiting in the outbox (written by the trigger on `segment_membership_changes`). */
export async function pendingActivations(db: EntityManager): Promise<PendingActivation[]> {
  const rows: { activation_id: string; pending: number }[] = await db.query(
    `SELECT activation_id, count(*)::int AS pending FROM activation_pending_changes GROUP BY activation_id ORDER BY min(id)`,
  );
  return rows.map((row) => ({ activationId: row.activation_id, pending: row.pending }));
}

/**
 * The activation row, locked for this flush; null when another worker is flushing it (SKIP LOCKED),
 * so one activation is flushed by one worker at a time and its runs never overlap.
 */
export async function lockActivationForFlush(tx: EntityManager, activationId: string): Promise<LockedActivation | null> {
  const rows: { id: string; destination_id: string; status: string; schedule: string }[] = await tx.query(
    `SELECT id, destination_id, status, schedule FROM activations WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`,
    [activationId],
  );
  return rows.length ? { id: rows[0].id, destinationId: rows[0].destination_id, status: rows[0].status, schedule: rows[0].schedule } : null;
}

/** An on-change run of the activation not finished yet (queued, running, or held by the guard). */
export async function hasOpenOnChangeRun(tx: EntityManager, activationId: string): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    `SELECT 1 FROM sync_runs WHERE activation_id = $1 AND trigger = $2 AND dry_run = false
       AND status IN ('queued', 'running', 'awaiting_confirmation') LIMIT 1`,
    [activationId, ON_CHANGE_TRIGGER],
  );
  return rows.length > 0;
}

/** Takes (deletes) up to `limit` of the activation's oldest pending changes; the caller's transaction records their run. */
export async function claimPendingChanges(tx: EntityManager, activationId: string, limit: number): Promise<ClaimedChange[]> {
  const [rows]: [{ profile_id: string; change: string; change_id: string; enqueued_at: Date }[], number] = await tx.query(
    `DELETE FROM activation_pending_changes WHERE id IN (
       SELECT id FROM activation_pending_changes WHERE activation_id = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING profile_id, change, change_id, enqueued_at`,
    [activationId, limit],
  );
  return rows.map((row) => ({
    profileId: row.profile_id,
    change: row.change,
    changeId: String(row.change_id),
    enqueuedAt: row.enqueued_at,
  }));
}

/** Pending changes of an activation that no longer delivers on change (deleted, or another schedule now). */
export async function dropPendingChanges(tx: EntityManager, activationId: string): Promise<void> {
  await tx.query(`DELETE FROM activation_pending_changes WHERE activation_id = $1`, [activationId]);
}

/** The profiles an on-change run may touch. */
export async function insertRunProfiles(tx: EntityManager, runId: string, profileIds: string[]): Promise<void> {
  await tx.query(`INSERT INTO sync_run_profiles (run_id, profile_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
    runId,
    profileIds,
  ]);
}

export async function runProfiles(db: EntityManager, runId: string): Promise<string[]> {
  const rows: { profile_id: string }[] = await db.query(`SELECT profile_id FROM sync_run_profiles WHERE run_id = $1 ORDER BY profile_id`, [
    runId,
  ]);
  return rows.map((row) => row.profile_id);
}

/**
 * Messages the activation's on-change runs sent in the last hour, counted from its latest
 * confirmation (a confirmed run is re-queued at the confirmation, `queued_at`): each confirmation
 * allows another hour's cap.
 */
export async function onChangeSentThisHour(db: EntityManager, activationId: string): Promise<number> {
  const rows: { sent: string }[] = await db.query(
    `SELECT coalesce(sum((r.counts->>'sent')::bigint), 0) AS sent FROM sync_runs r
     WHERE r.activation_id = $1 AND r.trigger = $2 AND r.dry_run = false AND r.queued_at > now() - interval '1 hour'
       AND r.queued_at >= coalesce((
         SELECT max(c.queued_at) FROM sync_runs c
         WHERE c.activation_id = $1 AND c.trigger = $2 AND c.plan->'guard' ? 'confirmedBy'), '-infinity')`,
    [activationId, ON_CHANGE_TRIGGER],
  );
  return Number(rows[0]?.sent ?? 0);
}

/** Changes waiting in the outbox (the worker's gauge and the tests). */
export async function pendingChangeCount(db: EntityManager): Promise<number> {
  const rows: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM activation_pending_changes`);
  return rows[0].n;
}
