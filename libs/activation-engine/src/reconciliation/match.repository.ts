import type { EntityManager } from 'typeorm';

/**
 * Queries of match reconciliation (issue #22): per-request vendor counts on `sync_batches`, the
 * run's match rate on `sync_runs`, and the notification of a drop. Goldens:
 * `__tests__/__golden__/match.repository.sql`.
 */

/** What the vendor reported back for one request of the run. */
export async function recordBatchVendorCounts(
  db: EntityManager,
  runId: string,
  seq: number,
  counts: { received: number | null; invalid: number | null },
): Promise<void> {
  await db.query(`UPDATE sync_batches SET vendor_received = $3, vendor_invalid = $4 WHERE sync_run_id = $1 AND seq = $2`, [
    runId,
    seq,
    counts.received,
    counts.invalid,
  ]);
}

/** Members the destination holds for the activation (state `present`). */
export async function heldAtVendor(db: EntityManager, activationId: string): Promise<number> {
  const [row]: { n: number }[] = await db.query(
    `SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND state = 'present'`,
    [activationId],
  );
  return row?.n ?? 0;
}

/** Match rates of the activation's last `limit` runs before this one that have one, newest first. */
export async function previousMatchRates(db: EntityManager, activationId: string, runId: string, limit: number): Promise<number[]> {
  const rows: { match_rate: number }[] = await db.query(
    `SELECT match_rate FROM sync_runs WHERE activation_id = $1 AND id <> $2 AND match_rate IS NOT NULL AND NOT dry_run
     ORDER BY queued_at DESC LIMIT $3`,
    [activationId, runId, limit],
  );
  return rows.map((row) => Number(row.match_rate));
}

/** The run's match rate, and the members held it was computed over (in its counts). */
export async function recordMatchRate(db: EntityManager, runId: string, rate: number, held: number): Promise<void> {
  await db.query(`UPDATE sync_runs SET match_rate = $2, counts = counts || jsonb_build_object('heldAtVendor', $3::bigint) WHERE id = $1`, [
    runId,
    rate,
    held,
  ]);
}

/** A `sync_run.match_rate_dropped` notification in the outbox, with the same snapshot as the triggers' (segment, activation, run). */
export async function notifyMatchRateDrop(
  db: EntityManager,
  runId: string,
  details: { matchRate: number; baseline: number; drop: number; threshold: number },
): Promise<void> {
  await db.query(
    `INSERT INTO notifications (kind, subject_id, payload)
     SELECT 'sync_run.match_rate_dropped', r.id,
            jsonb_build_object(
              'summary', format('Match rate of "%s" to activation "%s" dropped to %s%% (previous runs: %s%%)', s.name, a.name,
                                round(($2::float8 * 100)::numeric, 1), round(($3::float8 * 100)::numeric, 1)),
              'segment', jsonb_build_object('id', s.id, 'key', s.key, 'name', s.name),
              'activation', jsonb_build_object('id', a.id, 'name', a.name, 'mode', a.mode),
              'syncRun', jsonb_build_object('id', r.id, 'status', r.status, 'trigger', r.trigger, 'queuedAt', r.queued_at, 'counts', r.counts),
              'matchRate', $2::float8, 'baseline', $3::float8, 'drop', $4::float8, 'threshold', $5::float8)
     FROM sync_runs r JOIN activations a ON a.id = r.activation_id JOIN segments s ON s.id = a.segment_id
     WHERE r.id = $1`,
    [runId, details.matchRate, details.baseline, details.drop, details.threshold],
  );
}
