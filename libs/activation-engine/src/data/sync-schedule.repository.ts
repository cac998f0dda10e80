import type { EntityManager } from 'typeorm';

/**
 * What the scheduler and the queue worker read: activations due for a sync and the destinations
 * whose queues a worker follows. Goldens: `__tests__/__golden__/sync-schedule.repository.sql`.
 */

/**
 * `after_refresh` activations whose segment has a succeeded refresh not synced yet (of one segment
 * run's segment when `segmentRunId` is given), with that refresh. Audience-mode (`mirror`,
 * `add_only`) `on_change` activations too: the refresh of a real-time segment is its
 * reconciliation, and a full diff after it heals whatever an on-change run could not deliver (a
 * failed run's members are otherwise retried only when they change again). Send mode is left out:
 * a full diff would message every member not messaged yet, which on-change sending never promised.
 */
export function dueAfterRefresh(db: EntityManager, segmentRunId: string | null): Promise<{ activation_id: string; segment_run_id: string }[]> {
  return db.query(
    `SELECT a.id AS activation_id, r.id AS segment_run_id
     FROM activations a
     JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
     JOIN LATERAL (SELECT id, finished_at FROM segment_runs WHERE segment_id = a.segment_id AND status = 'succeeded'
                   ORDER BY finished_at DESC NULLS LAST LIMIT 1) r ON true
     WHERE (a.schedule = 'after_refresh' OR (a.schedule = 'on_change' AND a.mode <> 'send')) AND a.status = 'active'
       AND ($1::uuid IS NULL OR a.segment_id = (SELECT segment_id FROM segment_runs WHERE id = $1::uuid))
       AND NOT EXISTS (SELECT 1 FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger_key = 'refresh:' || r.id)`,
    [segmentRunId],
  );
}

/** Active activations on a cron schedule, with the time since which their fire times count. */
export function cronCandidates(db: EntityManager): Promise<{ id: string; schedule: string; since: Date }[]> {
  return db.query(
    `SELECT a.id, a.schedule,
            greatest(a.created_at, coalesce((SELECT max(s.queued_at) FROM sync_runs s WHERE s.activation_id = a.id AND s.trigger = 'schedule'), a.created_at)) AS since
     FROM activations a JOIN destinations d ON d.id = a.destination_id AND d.deleted_at IS NULL
     WHERE a.status = 'active' AND a.schedule NOT IN ('after_refresh', 'manual')`,
  );
}

/** Live destinations, oldest first (each has its own sync queue). */
export async function liveDestinationIds(db: EntityManager): Promise<string[]> {
  const rows: { id: string }[] = await db.query(`SELECT id FROM destinations WHERE deleted_at IS NULL ORDER BY created_at`);
  return rows.map((row) => row.id);
}
