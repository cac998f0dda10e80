import type { EntityManager } from 'typeorm';

/** A segment whose members an activation does not deliver to, with the reason a dry run shows. */
export interface ExcludingSegment {
  segmentId: string;
  reason: string;
  /** A higher entry of the activation's priority list (counted `outranked`), not an exclusion (`excluded`). */
  outranked: boolean;
}

/**
 * The segments an activation does not deliver to (issue #23), read once per run: first the higher
 * entries of the priority list it targets (highest first; reason `in higher priority entry <n>
 * (<segment key>) of list <list key>`), then its exclusions (`activation_exclusions`, in key order;
 * reason `excluded by segment <key>`). A segment in both counts as the priority entry.
 */
export async function excludingSegments(manager: EntityManager, activationId: string): Promise<ExcludingSegment[]> {
  const rows: { segment_id: string; key: string; position: number | null; list_key: string | null }[] = await manager.query(
    `SELECT e.segment_id, e.key, e.position, e.list_key FROM (
       SELECT h.segment_id, s.key, h.position, l.key AS list_key, 0 AS part
       FROM activations a
       JOIN priority_lists l ON l.id = a.priority_list_id
       JOIN priority_list_entries own ON own.list_id = l.id AND own.segment_id = a.segment_id
       JOIN priority_list_entries h ON h.list_id = l.id AND h.position < own.position
       JOIN segments s ON s.id = h.segment_id
       WHERE a.id = $1
       UNION ALL
       SELECT x.segment_id, s.key, NULL, NULL, 1
       FROM activation_exclusions x JOIN segments s ON s.id = x.segment_id
       WHERE x.activation_id = $1) e
     ORDER BY e.part, e.position, e.key, e.segment_id`,
    [activationId],
  );
  const seen = new Set<string>();
  return rows.flatMap((row): ExcludingSegment[] => {
    if (seen.has(row.segment_id)) return [];
    seen.add(row.segment_id);
    return row.list_key === null
      ? [{ segmentId: row.segment_id, reason: `excluded by segment ${row.key}`, outranked: false }]
      : [
          {
            segmentId: row.segment_id,
            reason: `in higher priority entry ${row.position} (${row.key}) of list ${row.list_key}`,
            outranked: true,
          },
        ];
  });
}
