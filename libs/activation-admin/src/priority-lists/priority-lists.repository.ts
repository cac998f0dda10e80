import type { EntityManager } from 'typeorm';

/** SQL of the priority lists (issue #23); their rows go through TypeORM. Goldens: `src/__tests__/__golden__/priority-lists.repository.sql`. */

/**
 * Per entry of a list: the segment's members, and its exclusive members — those in no entry of a
 * lower position (a profile belongs only to the highest entry it qualifies for).
 */
export async function entryMemberCounts(
  db: EntityManager,
  listId: string,
): Promise<{ position: number; segmentId: string; segmentKey: string; members: number; exclusive: number }[]> {
  const rows: { position: number; segment_id: string; key: string; members: number; exclusive: number }[] = await db.query(
    `SELECT e.position, e.segment_id, s.key,
            count(m.profile_id)::int AS members,
            count(m.profile_id) FILTER (WHERE NOT EXISTS (
              SELECT 1 FROM priority_list_entries h
              JOIN segment_memberships hm ON hm.segment_id = h.segment_id AND hm.profile_id = m.profile_id
              WHERE h.list_id = e.list_id AND h.position < e.position))::int AS exclusive
     FROM priority_list_entries e
     JOIN segments s ON s.id = e.segment_id
     LEFT JOIN segment_memberships m ON m.segment_id = e.segment_id
     WHERE e.list_id = $1
     GROUP BY e.list_id, e.position, e.segment_id, s.key
     ORDER BY e.position`,
    [listId],
  );
  return rows.map((row) => ({
    position: row.position,
    segmentId: row.segment_id,
    segmentKey: row.key,
    members: row.members,
    exclusive: row.exclusive,
  }));
}

/** Live (not deleted) activations targeting an entry of the list: their id, name and segment. */
export async function liveActivationsOfList(db: EntityManager, listId: string): Promise<{ id: string; name: string; segmentId: string }[]> {
  const rows: { id: string; name: string; segment_id: string }[] = await db.query(
    `SELECT id, name, segment_id FROM activations WHERE priority_list_id = $1 AND status <> 'deleted' ORDER BY created_at, id`,
    [listId],
  );
  return rows.map((row) => ({ id: row.id, name: row.name, segmentId: row.segment_id }));
}

/** Deleted activations let go of a list being deleted (their runs and exposures stay). */
export async function detachDeletedActivations(db: EntityManager, listId: string): Promise<void> {
  await db.query(`UPDATE activations SET priority_list_id = NULL WHERE priority_list_id = $1 AND status = 'deleted'`, [listId]);
}
