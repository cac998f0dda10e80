import { EntityManager } from 'typeorm';

/**
 * The reads a model fit needs beyond its feature query: the computed traits its features name, the
 * segment its population is narrowed to, and a customer's user id for a refusal's message.
 * Golden SQL: `__golden__/model-features.repository.sql`.
 */

/** The live computed traits among `keys`, each with its current version's definition. */
export async function computedTraitsByKey(
  manager: EntityManager,
  keys: readonly string[],
): Promise<{ key: string; version: number; definition: Record<string, unknown> }[]> {
  if (keys.length === 0) return [];
  return manager.query(
    `SELECT t.key, t.current_version AS version, v.definition
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
      WHERE t.deleted_at IS NULL AND t.key = ANY($1::text[]) ORDER BY t.key`,
    [keys],
  );
}

/** The live segment a key or id names, if any. */
export async function liveSegmentByKeyOrId(manager: EntityManager, reference: string): Promise<{ id: string; key: string } | undefined> {
  const [row] = await manager.query(
    `SELECT id, key FROM segments WHERE deleted_at IS NULL AND (key = $1 OR id::text = $1) ORDER BY key = $1 DESC LIMIT 1`,
    [reference],
  );
  return row;
}

/** The profile's user id (the oldest, when it has several), for naming a customer in a message. */
export async function userIdOfProfile(manager: EntityManager, profileId: string): Promise<string | undefined> {
  const [row] = await manager.query(`SELECT value FROM identities WHERE profile_id = $1 AND type = 'user_id' ORDER BY id LIMIT 1`, [
    profileId,
  ]);
  return row?.value;
}

/** Live profiles: how many, how many were first seen by `asOf`, and the earliest first-seen time. */
export async function firstSeenSummary(
  manager: EntityManager,
  asOf: Date,
): Promise<{ profiles: number; seenBy: number; earliest: Date | null }> {
  const [row] = await manager.query(
    `SELECT count(*)::int AS profiles, count(*) FILTER (WHERE first_seen_at IS NULL OR first_seen_at <= $1::timestamptz)::int AS seen_by,
            min(first_seen_at) AS earliest
       FROM profiles WHERE merged_into IS NULL AND deleted_at IS NULL`,
    [asOf.toISOString()],
  );
  return { profiles: row.profiles, seenBy: row.seen_by, earliest: row.earliest ? new Date(row.earliest) : null };
}
