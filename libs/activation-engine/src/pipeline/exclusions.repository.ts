import type { EntityManager } from 'typeorm';

/** A segment whose members an activation does not deliver to, with the reason a dry run shows. */
export interface ExcludingSegment {
  segmentId: string;
  reason: string;
}

/**
 * The segments an activation excludes (`activation_exclusions`, issue #23), in key order, each with
 * the reason its members are counted `excluded` under (`excluded by segment <key>`). Read once per run.
 */
export async function excludingSegments(manager: EntityManager, activationId: string): Promise<ExcludingSegment[]> {
  const rows: { segment_id: string; key: string }[] = await manager.query(
    `SELECT x.segment_id, s.key FROM activation_exclusions x JOIN segments s ON s.id = x.segment_id
     WHERE x.activation_id = $1 ORDER BY s.key, x.segment_id`,
    [activationId],
  );
  return rows.map((row) => ({ segmentId: row.segment_id, reason: `excluded by segment ${row.key}` }));
}
