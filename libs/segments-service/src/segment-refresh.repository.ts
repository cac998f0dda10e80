import { EntityManager } from 'typeorm';
import { SegmentRunEntity } from '@audiencekit/persistence';

/**
 * Every query of a refresh: its run row (`segment_runs`), the temp table of new members, the
 * adds/removes (`segment_membership_changes`), the swap of `segment_memberships` and the
 * `Segment Entered` / `Segment Exited` events. Plain functions over the caller's `EntityManager`
 * (the service holds the one transaction and the order of the steps).
 * Golden SQL: `__golden__/segment-refresh.repository.sql`.
 */

/** Why a refresh was queued: by hand, its cadence, the API, a list upload, or the retry of a failed run. */
export type RefreshTrigger = 'manual' | 'schedule' | 'api' | 'list_upload' | 'retry';

/** A queued run; null when a run for the same fire time exists (another worker's tick). */
export async function insertQueuedRun(
  manager: EntityManager,
  run: { segmentId: string; version: number; trigger: RefreshTrigger; scheduledFor: Date | null },
): Promise<SegmentRunEntity | null> {
  const inserted: { id: string }[] = await manager.query(
    `INSERT INTO segment_runs (segment_id, version, status, trigger, scheduled_for)
         VALUES ($1, $2, 'queued', $3, $4)
         ON CONFLICT (segment_id, scheduled_for) DO NOTHING
         RETURNING id`,
    [run.segmentId, run.version, run.trigger, run.scheduledFor],
  );
  if (inserted.length === 0) return null;
  return manager.getRepository(SegmentRunEntity).findOneByOrFail({ id: inserted[0].id });
}

export async function findRun(manager: EntityManager, runId: string): Promise<SegmentRunEntity | null> {
  return manager.getRepository(SegmentRunEntity).findOneBy({ id: runId });
}

/** The key of the segment a run refreshes (a bounded metric label), or undefined for an unknown run. */
export async function segmentKeyOfRun(manager: EntityManager, runId: string): Promise<string | undefined> {
  const rows: { key: string }[] = await manager.query(
    `SELECT s.key FROM segment_runs r JOIN segments s ON s.id = r.segment_id WHERE r.id = $1`,
    [runId],
  );
  return rows[0]?.key;
}

/**
 * Asks a queued or running refresh to stop: a queued one is cancelled at once, a running one keeps
 * `running` until it reaches its commit and rolls back instead. The run's status after the update,
 * or null when the segment has no such run in one of those states.
 */
export async function requestRunCancel(manager: EntityManager, segmentId: string, runId: string): Promise<string | null> {
  // TypeORM answers an UPDATE … RETURNING as [rows, affected].
  const [rows]: [{ status: string }[], number] = await manager.query(
    `UPDATE segment_runs
        SET cancel_requested_at = coalesce(cancel_requested_at, now()),
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
      WHERE id = $1 AND segment_id = $2 AND status IN ('queued', 'running')
      RETURNING status`,
    [runId, segmentId],
  );
  return rows[0]?.status ?? null;
}

/** Inside the refresh transaction, just before it commits: locks the run row (a cancel waits) and says whether one was asked. */
export async function lockRunCancelRequested(manager: EntityManager, runId: string): Promise<boolean> {
  const rows: { cancel_requested_at: Date | null }[] = await manager.query(
    `SELECT cancel_requested_at FROM segment_runs WHERE id = $1 FOR UPDATE`,
    [runId],
  );
  return rows[0]?.cancel_requested_at != null;
}

export async function updateRun(
  manager: EntityManager,
  runId: string,
  patch: Partial<Pick<SegmentRunEntity, 'status' | 'startedAt' | 'error' | 'finishedAt' | 'durationMs'>>,
): Promise<void> {
  await manager.getRepository(SegmentRunEntity).update(runId, patch);
}

/** The succeeded run's counts, quality and duration, written together. */
export async function saveSucceededRun(
  manager: EntityManager,
  run: Pick<SegmentRunEntity, 'id' | 'size' | 'adds' | 'removes' | 'quality' | 'finishedAt' | 'durationMs'> & {
    corrections?: number | null;
  },
): Promise<void> {
  await manager.getRepository(SegmentRunEntity).save({ ...run, status: 'succeeded' });
}

/** The per-segment refresh lock (transaction-scoped); false when another transaction holds it. */
export async function tryLockSegmentRefresh(manager: EntityManager, segmentId: string): Promise<boolean> {
  const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('segment-refresh:' || $1, 0)) AS locked`, [
    segmentId,
  ]);
  return locked;
}

/** `refresh_members`: the members computed by this refresh, dropped at commit. */
export async function createRefreshMembers(manager: EntityManager): Promise<void> {
  await manager.query(`CREATE TEMP TABLE refresh_members (profile_id uuid PRIMARY KEY) ON COMMIT DROP`);
}

export async function insertRefreshMemberIds(manager: EntityManager, profileIds: string[]): Promise<void> {
  await manager.query(`INSERT INTO refresh_members (profile_id) SELECT DISTINCT unnest($1::uuid[])`, [profileIds]);
}

/** The members of a compiled segment query (libs/segments-domain), computed inside Postgres. */
export async function insertRefreshMembersOf(manager: EntityManager, query: { text: string; values: unknown[] }): Promise<void> {
  await manager.query(`INSERT INTO refresh_members (profile_id) SELECT DISTINCT q.profile_id FROM (${query.text}) q`, query.values);
}

export async function countMembers(manager: EntityManager, segmentId: string): Promise<number> {
  const [{ previous }] = await manager.query(`SELECT count(*)::int AS previous FROM segment_memberships WHERE segment_id = $1`, [
    segmentId,
  ]);
  return previous;
}

type RunKeys = Pick<SegmentRunEntity, 'id' | 'segmentId' | 'version'>;

/** Records as `added` every new member not yet in the membership; the count. */
export async function recordAdds(manager: EntityManager, run: RunKeys, now: Date): Promise<number> {
  return insertChanges(
    manager,
    `SELECT $1::uuid, $2::uuid, n.profile_id, 'added', $3::int, $4::timestamptz FROM refresh_members n
       WHERE NOT EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = $2 AND m.profile_id = n.profile_id)`,
    [run.id, run.segmentId, run.version, now],
  );
}

/** Records as `removed` every current member not among the new members; the count. */
export async function recordRemoves(manager: EntityManager, run: RunKeys, now: Date): Promise<number> {
  return insertChanges(
    manager,
    `SELECT $1::uuid, $2::uuid, m.profile_id, 'removed', $3::int, $4::timestamptz FROM segment_memberships m
       WHERE m.segment_id = $2 AND NOT EXISTS (SELECT 1 FROM refresh_members n WHERE n.profile_id = m.profile_id)`,
    [run.id, run.segmentId, run.version, now],
  );
}

async function insertChanges(manager: EntityManager, select: string, params: unknown[]): Promise<number> {
  const [{ count }] = await manager.query(
    `WITH inserted AS (
         INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at) ${select}
         RETURNING 1)
       SELECT count(*)::int AS count FROM inserted`,
    params,
  );
  return count;
}

/** Applies the run's recorded removes and adds to the current membership. */
export async function applyRecordedChanges(manager: EntityManager, run: Pick<SegmentRunEntity, 'id' | 'segmentId'>): Promise<void> {
  await manager.query(
    `DELETE FROM segment_memberships m USING segment_membership_changes c
       WHERE c.run_id = $1 AND c.change = 'removed' AND m.segment_id = $2 AND m.profile_id = c.profile_id`,
    [run.id, run.segmentId],
  );
  await manager.query(
    `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id)
       SELECT segment_id, profile_id, changed_at, run_id FROM segment_membership_changes WHERE run_id = $1 AND change = 'added'`,
    [run.id],
  );
}

/** Entry and exit as ordinary track events, one per recorded change of the run (idempotent by message id). */
export async function insertEntryExitEvents(manager: EntityManager, runId: string, segmentKey: string, now: Date): Promise<void> {
  await manager.query(
    `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'segment:' || c.run_id || ':' || c.profile_id || ':' || c.change, c.profile_id, 'track',
              CASE c.change WHEN 'added' THEN 'Segment Entered' ELSE 'Segment Exited' END, $2::timestamptz,
              jsonb_build_object('segment_id', c.segment_id, 'segment_key', $3::text, 'segment_version', c.version, 'run_id', c.run_id)
       FROM segment_membership_changes c WHERE c.run_id = $1
       ON CONFLICT (message_id, source_id) DO NOTHING`,
    [runId, now, segmentKey],
  );
}
