import type { EntityManager } from 'typeorm';
import { ON_CHANGE_TRIGGER } from '../on-change/on-change.repository';
import type { RefreshQuality } from './safety-gates';

/** Members the destination holds for this activation (`present`): the base of the mass-removal share. */
export async function heldMemberCount(db: EntityManager, activationId: string): Promise<number> {
  const rows: { n: number }[] = await db.query(
    `SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND state = 'present'`,
    [activationId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Members removed by the activation's on-change runs in the last hour, counted from the latest
 * confirmation: a burst of exits arrives as many small runs, so the gate judges their sum.
 */
export async function onChangeRemovedThisHour(db: EntityManager, activationId: string): Promise<number> {
  const rows: { removed: string }[] = await db.query(
    `SELECT coalesce(sum((r.counts->>'removed')::bigint), 0) AS removed FROM sync_runs r
     WHERE r.activation_id = $1 AND r.trigger = $2 AND r.dry_run = false AND r.queued_at > now() - interval '1 hour'
       AND r.queued_at >= coalesce((
         SELECT max(c.queued_at) FROM sync_runs c
         WHERE c.activation_id = $1 AND c.trigger = $2 AND c.plan->'guard' ? 'confirmedBy'), '-infinity')`,
    [activationId, ON_CHANGE_TRIGGER],
  );
  return Number(rows[0]?.removed ?? 0);
}

/** The quality flags of a segment run (null when it has none, e.g. not succeeded). */
export async function refreshQualityOf(db: EntityManager, segmentRunId: string): Promise<RefreshQuality | null> {
  const rows: { quality: RefreshQuality | null }[] = await db.query(`SELECT quality FROM segment_runs WHERE id = $1`, [segmentRunId]);
  return rows[0]?.quality ?? null;
}
