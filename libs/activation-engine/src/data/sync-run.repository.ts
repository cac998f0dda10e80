import { ActivationEntity, SyncRunEntity } from '@audiencekit/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { boundErrorEntry, truncateVendorText } from './vendor-text';

/**
 * Every query of sync runs, their batches, the members a destination holds, exposures, rejections
 * and suppressions: the engine's services and runner hold no SQL. Each function takes the
 * `EntityManager` to run on (the data source's, or a transaction's). Goldens: `__golden__/`.
 */

export type Counts = Record<string, number>;

/** Most error entries kept on a run; later ones are counted in `errorsDropped`. */
const MAX_ERRORS = 50;
const DELETED_STATUSES = ['deleted', 'archived'];
/** Member states written by one run above which Postgres' statistics of activation_members are refreshed. */
export const ANALYZE_AFTER_ROWS = 10_000;

// ---- runs ----------------------------------------------------------------------------------

export interface NewRun {
  status: 'queued' | 'running' | 'awaiting_confirmation';
  dryRun?: boolean;
  trigger?: string;
  triggerKey?: string;
  requestedBy?: string | null;
  /** The mass-send guard's decision, kept in `plan.guard`. */
  guard?: object;
  /** More of the run's `plan` (an on-change run's `onChange` figures). */
  plan?: Record<string, unknown>;
}

/** A new run of the activation; null when its trigger key was already requested. */
export async function insertRun(db: EntityManager, activationId: string, run: NewRun): Promise<SyncRunEntity | null> {
  const rows: { id: string }[] = await db.query(
    `INSERT INTO sync_runs (activation_id, segment_run_id, segment_version, status, dry_run, trigger, trigger_key, requested_by, plan, started_at)
     SELECT a.id,
            (SELECT r.id FROM segment_runs r WHERE r.segment_id = a.segment_id AND r.status = 'succeeded' ORDER BY r.finished_at DESC NULLS LAST LIMIT 1),
            s.current_version, $2, $3, $4, $5, $6, $7::jsonb, now()
     FROM activations a JOIN segments s ON s.id = a.segment_id WHERE a.id = $1
     ON CONFLICT (activation_id, trigger_key) DO NOTHING
     RETURNING id`,
    [activationId, run.status, run.dryRun ?? false, run.trigger ?? 'manual', run.triggerKey ?? null, run.requestedBy ?? null, planOf(run)],
  );
  if (rows.length === 0) return null;
  return db.getRepository(SyncRunEntity).findOneByOrFail({ id: rows[0].id });
}

function planOf(run: NewRun): string | null {
  if (!run.guard && !run.plan) return null;
  return JSON.stringify({ ...run.plan, ...(run.guard ? { guard: run.guard } : {}) });
}

export function findRun(db: EntityManager, runId: string): Promise<SyncRunEntity | null> {
  return db.getRepository(SyncRunEntity).findOneBy({ id: runId });
}

export async function listRuns(db: EntityManager, activationId: string, page: { status?: string; limit: number; offset: number }): Promise<[SyncRunEntity[], number]> {
  return db.getRepository(SyncRunEntity).findAndCount({
    where: { activationId, ...(page.status ? { status: page.status } : {}) },
    order: { queuedAt: 'DESC', id: 'DESC' },
    take: page.limit,
    skip: page.offset,
  });
}

/** Keeps `fullResync: true` in the run's `plan` (read by the setup of its execution). */
export async function markFullResync(db: EntityManager, runId: string): Promise<void> {
  await db.query(`UPDATE sync_runs SET plan = coalesce(plan, '{}'::jsonb) || '{"fullResync": true}'::jsonb WHERE id = $1`, [runId]);
}

/** A held run back to `queued` with who confirmed it; false when it was not awaiting confirmation. */
export async function releaseHeldRun(db: EntityManager, runId: string, confirmedBy: string | null): Promise<boolean> {
  // TypeORM answers an UPDATE ... RETURNING on Postgres as [rows, affected].
  const [rows]: [{ id: string }[], number] = await db.query(
    `UPDATE sync_runs SET status = 'queued', queued_at = now(),
            plan = jsonb_set(coalesce(plan, '{}'::jsonb), '{guard}', coalesce(plan->'guard', '{}'::jsonb) || jsonb_build_object('confirmedBy', $2::text, 'confirmedAt', now()))
     WHERE id = $1 AND status = $3 RETURNING id`,
    [runId, confirmedBy, 'awaiting_confirmation'],
  );
  return rows.length > 0;
}

/** The guard's decision on a queued run nobody checked yet: it stays `queued` or is held. */
export async function recordGuardDecision(db: EntityManager, runId: string, status: string, decision: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE sync_runs SET status = $2, plan = coalesce(plan, '{}'::jsonb) || jsonb_build_object('guard', $3::jsonb) WHERE id = $1 AND status = 'queued'`, [runId, status, JSON.stringify(decision)]);
}

export async function markRunning(db: EntityManager, runId: string): Promise<void> {
  await db.query(`UPDATE sync_runs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued'`, [runId]);
}

export async function saveProgress(db: EntityManager, runId: string, progress: unknown): Promise<void> {
  await db.query(`UPDATE sync_runs SET progress = $2::jsonb WHERE id = $1`, [runId, JSON.stringify(progress)]);
}

export async function finishRun(
  db: EntityManager,
  runId: string,
  status: 'succeeded' | 'partial' | 'failed' | 'cancelled',
  durationMs: number,
  extra: { counts?: Counts; plan?: Record<string, unknown>; errors?: Record<string, unknown>[] },
): Promise<void> {
  await db.query(
    `UPDATE sync_runs SET status = $2, finished_at = now(), duration_ms = $3,
            counts = CASE WHEN $4::jsonb IS NULL THEN counts ELSE $4::jsonb END,
            plan = coalesce($5::jsonb, plan),
            errors = CASE WHEN $6::jsonb IS NULL THEN errors ELSE $6::jsonb END
     WHERE id = $1`,
    [runId, status, durationMs, extra.counts ? JSON.stringify(extra.counts) : null, extra.plan ? JSON.stringify(extra.plan) : null, extra.errors ? JSON.stringify(extra.errors.map(boundErrorEntry)) : null],
  );
}

/** Gives up on a run the queue will not retry any more. */
export async function failRun(db: EntityManager, runId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE sync_runs SET status = 'failed', finished_at = now(),
            errors = coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('kind', 'gave_up', 'message', $2::text, 'at', now()))
     WHERE id = $1 AND status IN ('queued', 'running')`,
    [runId, reason],
  );
}

/** Adds `delta` to the run's counts in place (concurrent batches each add their own). */
export async function addCounts(db: EntityManager, runId: string, delta: Counts): Promise<void> {
  const nonZero = Object.fromEntries(Object.entries(delta).filter(([, value]) => value !== 0));
  if (Object.keys(nonZero).length === 0) return;
  await db.query(
    `UPDATE sync_runs SET counts = (
       SELECT coalesce(jsonb_object_agg(key, coalesce((counts ->> key)::bigint, 0) + coalesce(($2::jsonb ->> key)::bigint, 0)), '{}'::jsonb)
       FROM jsonb_object_keys(counts || $2::jsonb) AS key)
     WHERE id = $1`,
    [runId, JSON.stringify(nonZero)],
  );
}

export async function appendErrors(db: EntityManager, runId: string, entries: Record<string, unknown>[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `UPDATE sync_runs SET
       errors = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN coalesce(errors, '[]'::jsonb) || $2::jsonb ELSE errors END,
       counts = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN counts
                ELSE counts || jsonb_build_object('errorsDropped', coalesce((counts ->> 'errorsDropped')::bigint, 0) + jsonb_array_length($2::jsonb)) END
     WHERE id = $1`,
    [runId, JSON.stringify(entries.map(boundErrorEntry)), MAX_ERRORS],
  );
}

export async function countsOf(db: EntityManager, runId: string): Promise<Counts> {
  const [row] = await db.query(`SELECT counts FROM sync_runs WHERE id = $1`, [runId]);
  return Object.fromEntries(Object.entries((row?.counts ?? {}) as Record<string, unknown>).map(([key, value]) => [key, Number(value)]));
}

export async function recordAudienceSize(db: EntityManager, runId: string, size: number): Promise<void> {
  await db.query(`UPDATE sync_runs SET counts = counts || jsonb_build_object('audienceSize', $2::bigint) WHERE id = $1`, [runId, size]);
}

/** Sent count of the activation's last finished (succeeded or partial) send run, or null. */
export async function lastRunSentCount(db: EntityManager, activationId: string): Promise<number | null> {
  const rows: { sent: string | null }[] = await db.query(
    `SELECT counts->>'sent' AS sent FROM sync_runs
     WHERE activation_id = $1 AND dry_run = false AND status IN ('succeeded', 'partial')
     ORDER BY finished_at DESC NULLS LAST LIMIT 1`,
    [activationId],
  );
  return rows.length ? Number(rows[0].sent ?? 0) : null;
}

/** An explicit audit row for a guard decision or a confirmation (who, what, the figures). */
/** Holds by the mass-send guard, by the other sync gates (mass removal, refresh quality), and confirmations. */
export type GuardAuditAction = 'mass_send_guard.held' | 'sync_gate.held' | 'mass_send_guard.confirmed' | 'sync_gate.confirmed';

export async function auditGuard(db: EntityManager, action: GuardAuditAction, actorKeyId: string | null, runId: string, details: Record<string, unknown>): Promise<void> {
  await db.query(`INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, 'sync-runs', $3, $4::jsonb)`, [actorKeyId, action, runId, JSON.stringify(details)]);
}

// ---- activations, destinations, segments (what a run reads of them) -------------------------

/** The activation if it and its destination are live (not deleted or archived). */
export async function findLiveActivation(db: EntityManager, activationId: string): Promise<ActivationEntity | null> {
  const rows = await db
    .getRepository(ActivationEntity)
    .createQueryBuilder('a')
    .innerJoin('destinations', 'd', 'd.id = a.destination_id AND d.deleted_at IS NULL')
    .where('a.id = :id AND a.status NOT IN (:...deleted)', { id: activationId, deleted: DELETED_STATUSES })
    .getMany();
  return rows[0] ?? null;
}

export function activationExists(db: EntityManager, activationId: string): Promise<boolean> {
  return db.getRepository(ActivationEntity).existsBy({ id: activationId });
}

export async function activationMode(db: EntityManager, activationId: string): Promise<string | undefined> {
  const rows: { mode: string }[] = await db.query(`SELECT mode FROM activations WHERE id = $1`, [activationId]);
  return rows[0]?.mode;
}

export async function destinationIdOf(db: EntityManager, activationId: string): Promise<string | undefined> {
  const rows: { destination_id: string }[] = await db.query(`SELECT destination_id FROM activations WHERE id = $1`, [activationId]);
  return rows[0]?.destination_id;
}

/** Whether the activation and its destination still stand (read before each page). */
export async function liveness(db: EntityManager, activationId: string): Promise<{ activationLive: boolean; destinationDeleted: boolean }> {
  const rows: { deleted_at: Date | null; status: string }[] = await db.query(
    `SELECT d.deleted_at, a.status FROM activations a LEFT JOIN destinations d ON d.id = a.destination_id WHERE a.id = $1`,
    [activationId],
  );
  return { activationLive: rows.length > 0 && !DELETED_STATUSES.includes(rows[0].status), destinationDeleted: Boolean(rows[0]?.deleted_at) };
}

export async function setExternalAudienceId(db: EntityManager, activationId: string, externalId: string): Promise<void> {
  await db.query(`UPDATE activations SET external_audience_id = $2 WHERE id = $1`, [activationId, externalId]);
}

export async function segmentSize(db: EntityManager, segmentId: string): Promise<number> {
  const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1`, [segmentId]);
  return row?.n ?? 0;
}

/** The global holdout's split (salt, share, and the hash version stored beside the salt), or null when it holds nobody. */
export async function globalHoldout(db: EntityManager): Promise<{ salt: string; share: number; hashVersion: number } | null> {
  const rows: { share: number; salt: string; hash_version: number }[] = await db.query(`SELECT share, salt, hash_version FROM global_holdout WHERE id = 1`);
  return rows[0] && rows[0].share > 0 ? { salt: rows[0].salt, share: Number(rows[0].share), hashVersion: Number(rows[0].hash_version) } : null;
}

/**
 * One run per destination at a time, across every worker: a session advisory lock on a connection
 * held for the run (released if the process dies). Null when another run holds it.
 */
export async function tryLockDestination(dataSource: DataSource, destinationId: string): Promise<{ release: () => Promise<void> } | null> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = `sync-destination:${destinationId}`;
  const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [key]);
  if (!locked) {
    await runner.release();
    return null;
  }
  return {
    release: async () => {
      try {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]);
      } finally {
        await runner.release();
      }
    },
  };
}

// ---- batches -------------------------------------------------------------------------------

export async function nextSeq(db: EntityManager, runId: string): Promise<number> {
  const [row] = await db.query(`SELECT coalesce(max(seq), 0) + 1 AS next FROM sync_batches WHERE sync_run_id = $1`, [runId]);
  return Number(row.next);
}

/** Written right before the plugin is called: `in_flight` means "may have reached the vendor". */
export async function recordBatch(db: EntityManager, runId: string, batch: { seq: number; action: string; profileIds: string[]; key: string }): Promise<void> {
  await db.query(`INSERT INTO sync_batches (sync_run_id, seq, action, profile_ids, idempotency_key, status) VALUES ($1, $2, $3, $4::uuid[], $5, 'in_flight')`, [
    runId,
    batch.seq,
    batch.action,
    batch.profileIds,
    batch.key,
  ]);
}

export async function ackBatch(db: EntityManager, runId: string, seq: number, attempts: number): Promise<void> {
  await db.query(`UPDATE sync_batches SET status = 'acked', attempts = attempts + $3, updated_at = now() WHERE sync_run_id = $1 AND seq = $2`, [runId, seq, attempts]);
}

export async function failBatch(db: EntityManager, runId: string, seq: number, attempts: number, reason: string): Promise<void> {
  await db.query(`UPDATE sync_batches SET status = 'failed', attempts = attempts + $3, error = $4, updated_at = now() WHERE sync_run_id = $1 AND seq = $2`, [
    runId,
    seq,
    attempts,
    truncateVendorText(reason),
  ]);
}

export function inFlightBatches(db: EntityManager, runId: string): Promise<{ seq: number; action: string; profile_ids: string[]; idempotency_key: string }[]> {
  return db.query(`SELECT seq, action, profile_ids, idempotency_key FROM sync_batches WHERE sync_run_id = $1 AND status = 'in_flight' ORDER BY seq`, [runId]);
}

/** A replayed batch none of whose members may be sent any more. */
export async function dropInFlightBatch(db: EntityManager, runId: string, seq: number): Promise<void> {
  await db.query(`UPDATE sync_batches SET status = 'failed', error = 'no member of the batch is eligible any more' WHERE sync_run_id = $1 AND seq = $2`, [runId, seq]);
}

// ---- members, rejections, suppressions -----------------------------------------------------

/** Upserts members' state; a `removed` member's identifiers are given as null (privacy deletion, issue #16). */
export async function setMemberState(db: EntityManager, activationId: string, runId: string, state: string, members: { profileId: string; identifiers: string | null }[]): Promise<void> {
  if (members.length === 0) return;
  await db.query(
    `INSERT INTO activation_members (activation_id, profile_id, state, identifiers, last_sync_run_id, updated_at, delivered_at)
     SELECT $1, t.profile_id, $3, t.identifiers, $4, now(), CASE WHEN $3 IN ('present', 'sent') THEN now() END
     FROM unnest($2::uuid[], $5::jsonb[]) AS t(profile_id, identifiers)
     ON CONFLICT (activation_id, profile_id) DO UPDATE
       SET state = excluded.state, identifiers = excluded.identifiers,
           last_sync_run_id = excluded.last_sync_run_id, updated_at = now(),
           delivered_at = coalesce(excluded.delivered_at, activation_members.delivered_at)`,
    [activationId, members.map((member) => member.profileId), state, runId, members.map((member) => member.identifiers)],
  );
}

/** How many of these members the destination holds already (`present`). */
export async function countHeld(db: EntityManager, activationId: string, profileIds: string[]): Promise<number> {
  if (profileIds.length === 0) return 0;
  const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND profile_id = ANY($2::uuid[]) AND state = 'present'`, [
    activationId,
    profileIds,
  ]);
  return row?.n ?? 0;
}

/** Marks members as handled by this run without changing what the destination holds. */
export async function touchMembers(db: EntityManager, activationId: string, runId: string, profileIds: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  await db.query(
    `INSERT INTO activation_members (activation_id, profile_id, state, last_sync_run_id, updated_at)
     SELECT $1, unnest($2::uuid[]), 'failed', $3, now()
     ON CONFLICT (activation_id, profile_id) DO UPDATE SET last_sync_run_id = excluded.last_sync_run_id, updated_at = now()`,
    [activationId, profileIds, runId],
  );
}

/**
 * Rejected removes of erased profiles (privacy deletion, issue #16): the vendor refused the
 * remove, but the person is gone, so the row is `rejected` and keeps no identifiers. Rejected
 * removes of other members stay `present` (only touched): the next run tries again.
 */
export async function forgetErasedRejectedRemoves(db: EntityManager, activationId: string, runId: string, profileIds: string[]): Promise<string[]> {
  if (profileIds.length === 0) return [];
  const [rows]: [{ profile_id: string }[], number] = await db.query(
    `UPDATE activation_members m SET state = 'rejected', identifiers = NULL, last_sync_run_id = $3, updated_at = now()
     FROM profiles p
     WHERE m.activation_id = $1 AND m.profile_id = ANY($2::uuid[]) AND p.id = m.profile_id AND p.deleted_at IS NOT NULL
     RETURNING m.profile_id`,
    [activationId, profileIds, runId],
  );
  return rows.map((row) => row.profile_id);
}

/** After a whole replace: members held before and not sent by this run are `removed` (identifiers forgotten). Returns how many. */
export async function dropReplaced(db: EntityManager, activationId: string, runId: string): Promise<number> {
  const [rows]: [unknown[], number] = await db.query(
    `UPDATE activation_members SET state = 'removed', identifiers = NULL, last_sync_run_id = $2, updated_at = now()
     WHERE activation_id = $1 AND state = 'present' AND last_sync_run_id IS DISTINCT FROM $2 RETURNING profile_id`,
    [activationId, runId],
  );
  return rows.length;
}

/** Refreshes Postgres' statistics of activation_members (stale after a run that filled it). */
export async function analyzeMembers(db: EntityManager): Promise<void> {
  await db.query(`ANALYZE activation_members`);
}

export async function recordRejections(db: EntityManager, runId: string, rows: { profileId: string; kind: string; reason: string; code: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO sync_rejections (sync_run_id, profile_id, kind, reason, code)
     SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (sync_run_id, profile_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, code = excluded.code`,
    [runId, rows.map((row) => row.profileId), rows.map((row) => row.kind), rows.map((row) => truncateVendorText(row.reason)), rows.map((row) => row.code)],
  );
}

/** The identifier is never contacted on this channel again (e.g. SMS STOP). */
export async function recordSuppression(db: EntityManager, suppression: { identifierType: string; value: string; channel: string; reason: string }): Promise<void> {
  await db.query(`INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
    suppression.identifierType,
    suppression.value,
    suppression.channel,
    suppression.reason,
  ]);
}

// ---- exposures -----------------------------------------------------------------------------

/** A page of the diff: profile ids in (`from`, `to`], `from` null for the first page. */
export interface PageRange {
  from: string | null;
  to: string;
}

export interface HeldOutMember {
  profileId: string;
  arm: 'control' | 'global_holdout';
}

/**
 * Treatment exposures of the members whose delivery the vendor acknowledged (first exposure wins:
 * arms are sticky, so a member re-sent later keeps the date they were first treated).
 */
export async function recordTreatmentExposures(db: EntityManager, activationId: string, runId: string, profileIds: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  await db.query(
    `INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, unnest($2::uuid[]), 'treatment', now(), $3 ON CONFLICT DO NOTHING`,
    [activationId, profileIds, runId],
  );
}

/**
 * Takes back held-out exposures of a run that ended failed: `all` of them (the run treated
 * nobody), or those within the given key ranges (its pages that had no member to deliver).
 * Treatment exposures stay: they record deliveries the vendor acknowledged.
 */
export async function forgetHeldOutExposures(db: EntityManager, activationId: string, runId: string, ranges: PageRange[] | 'all'): Promise<void> {
  if (ranges !== 'all' && ranges.length === 0) return;
  const pages = ranges === 'all' ? [] : ranges;
  await db.query(
    `DELETE FROM activation_exposures e
     WHERE e.activation_id = $1 AND e.sync_run_id = $2 AND e.arm <> 'treatment'
       AND ($3::boolean OR EXISTS (SELECT 1 FROM unnest($4::uuid[], $5::uuid[]) AS r(from_id, to_id)
                                   WHERE (r.from_id IS NULL OR e.profile_id > r.from_id) AND e.profile_id <= r.to_id))`,
    [activationId, runId, ranges === 'all', pages.map((page) => page.from), pages.map((page) => page.to)],
  );
}

/**
 * Exposures of a page's held-out members, written in the transaction that moves the cursor past
 * the page, once every batch of it has been answered: both arms of a page are recorded together
 * and only for a delivery that happened. A page that had members to deliver and delivered none
 * exposes nobody (the next run reads them again). "Had members / delivered" is read from the
 * members this run handled in the page's range, so a page resumed after a crash counts what was
 * delivered before the crash too.
 */
export async function recordHeldOutExposures(db: EntityManager, activationId: string, runId: string, page: PageRange, heldOut: HeldOutMember[], eligibleRead: number): Promise<void> {
  if (heldOut.length === 0) return;
  await db.query(
    `WITH handled AS (
       SELECT state FROM activation_members
       WHERE activation_id = $1 AND last_sync_run_id = $4
         AND ($5::uuid IS NULL OR profile_id > $5::uuid) AND profile_id <= $6::uuid)
     INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, t.profile_id, t.arm, now(), $4 FROM unnest($2::uuid[], $3::text[]) AS t(profile_id, arm)
     WHERE EXISTS (SELECT 1 FROM handled WHERE state IN ('present', 'sent'))
        OR ($7::int = 0 AND NOT EXISTS (SELECT 1 FROM handled))
     ON CONFLICT DO NOTHING`,
    [activationId, heldOut.map((member) => member.profileId), heldOut.map((member) => member.arm), runId, page.from, page.to, eligibleRead],
  );
}

