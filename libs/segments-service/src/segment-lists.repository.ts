import { EntityManager } from 'typeorm';

/**
 * Every query of `segment_list_entries` (the identifiers uploaded to a static list segment, per
 * version). Golden SQL: `__golden__/segment-lists.repository.sql`.
 */

/** Rows per INSERT: two arrays travel as two parameters, so a chunk costs one round trip. */
export const LIST_INSERT_CHUNK = 10_000;

export async function insertListEntries(manager: EntityManager, segmentId: string, version: number, values: string[]): Promise<void> {
  for (let start = 0; start < values.length; start += LIST_INSERT_CHUNK) {
    await manager.query(
      `INSERT INTO segment_list_entries (segment_id, version, value)
         SELECT $1::uuid, $2::int, v FROM unnest($3::text[]) AS v ON CONFLICT DO NOTHING`,
      [segmentId, version, values.slice(start, start + LIST_INSERT_CHUNK)],
    );
  }
}

/** The uploaded values of a version that match no identity of the list's kind (yet). */
export async function unmatchedListValues(manager: EntityManager, segmentId: string, version: number, type: string): Promise<string[]> {
  const rows: { value: string }[] = await manager.query(
    `SELECT l.value FROM segment_list_entries l
       WHERE l.segment_id = $1 AND l.version = $2
         AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.type = $3 AND i.value = l.value)`,
    [segmentId, version, type],
  );
  return rows.map((row) => row.value);
}

/** How many identifiers a version of a list holds. */
export async function countListEntries(manager: EntityManager, segmentId: string, version: number): Promise<number> {
  const rows: { count: string }[] = await manager.query(
    `SELECT count(*) AS count FROM segment_list_entries WHERE segment_id = $1 AND version = $2`,
    [segmentId, version],
  );
  return Number(rows[0]?.count ?? 0);
}
