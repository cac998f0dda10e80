import type { EntityManager } from 'typeorm';

/** Every SQL statement of consent categories and of a profile's consent (the service decides). */

export interface ConsentCategoryRow {
  key: string;
  label: string;
  description: string;
  destinationIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

const CATEGORY_COLUMNS = `c.key, c.label, c.description, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  coalesce((SELECT array_agg(d.destination_id::text ORDER BY d.destination_id) FROM destination_consent_categories d WHERE d.category_key = c.key), '{}') AS "destinationIds"`;

export async function listCategories(manager: EntityManager): Promise<ConsentCategoryRow[]> {
  return manager.query(`SELECT ${CATEGORY_COLUMNS} FROM consent_categories c ORDER BY c.key`);
}

export async function findCategory(manager: EntityManager, key: string): Promise<ConsentCategoryRow | null> {
  const rows: ConsentCategoryRow[] = await manager.query(`SELECT ${CATEGORY_COLUMNS} FROM consent_categories c WHERE c.key = $1`, [key]);
  return rows[0] ?? null;
}

/** Creates or updates a category; answers whether it was created. */
export async function upsertCategory(manager: EntityManager, key: string, label: string, description: string): Promise<boolean> {
  const rows: { created: boolean }[] = await manager.query(
    `INSERT INTO consent_categories (key, label, description) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [key, label, description],
  );
  return rows[0].created;
}

/** Deletes a category no destination requires; answers how many destinations still require it (then nothing is deleted). */
export async function deleteCategory(manager: EntityManager, key: string): Promise<{ deleted: boolean; requiredBy: number }> {
  const [usage]: { n: number }[] = await manager.query(
    `SELECT count(*)::int AS n FROM destination_consent_categories WHERE category_key = $1`,
    [key],
  );
  if (usage.n > 0) return { deleted: false, requiredBy: usage.n };
  // TypeORM answers a DELETE on Postgres as [rows, count].
  const [, count]: [unknown[], number] = await manager.query(`DELETE FROM consent_categories WHERE key = $1`, [key]);
  return { deleted: count > 0, requiredBy: 0 };
}

/** Keys among `keys` that are defined categories. */
export async function existingCategoryKeys(manager: EntityManager, keys: readonly string[]): Promise<string[]> {
  const rows: { key: string }[] = await manager.query(`SELECT key FROM consent_categories WHERE key = ANY($1::text[]) ORDER BY key`, [
    keys,
  ]);
  return rows.map((row) => row.key);
}

/** The destination, locked for the change of its categories; false when absent or deleted. */
export async function lockLiveDestination(manager: EntityManager, destinationId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(`SELECT id FROM destinations WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [
    destinationId,
  ]);
  return rows.length > 0;
}

export async function destinationCategories(manager: EntityManager, destinationId: string): Promise<string[]> {
  const rows: { category_key: string }[] = await manager.query(
    `SELECT category_key FROM destination_consent_categories WHERE destination_id = $1 ORDER BY category_key`,
    [destinationId],
  );
  return rows.map((row) => row.category_key);
}

export async function replaceDestinationCategories(
  manager: EntityManager,
  destinationId: string,
  categories: readonly string[],
): Promise<void> {
  await manager.query(`DELETE FROM destination_consent_categories WHERE destination_id = $1 AND NOT (category_key = ANY($2::text[]))`, [
    destinationId,
    categories,
  ]);
  await manager.query(
    `INSERT INTO destination_consent_categories (destination_id, category_key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [destinationId, categories],
  );
}

export interface ProfileTraitsRow {
  id: string;
  traits: Record<string, unknown>;
  traitTimestamps: Record<string, string>;
}

/**
 * The live profile `profileId` stands for — itself, or the profile it was merged into (followed to
 * the end) — locked for update; null when there is none or it was erased.
 */
export async function lockSurvivingProfile(manager: EntityManager, profileId: string): Promise<ProfileTraitsRow | null> {
  const rows: ProfileTraitsRow[] = await manager.query(
    `WITH RECURSIVE chain AS (
       SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $1
       UNION ALL SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 50
     )
     SELECT p.id, p.traits, p.trait_timestamps AS "traitTimestamps" FROM profiles p
     WHERE p.id = (SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1) AND p.deleted_at IS NULL
     FOR UPDATE`,
    [profileId],
  );
  return rows[0] ?? null;
}

export async function readProfileTraits(manager: EntityManager, profileId: string): Promise<ProfileTraitsRow | null> {
  const rows: ProfileTraitsRow[] = await manager.query(
    `SELECT id, traits, trait_timestamps AS "traitTimestamps" FROM profiles WHERE id = $1 AND deleted_at IS NULL AND merged_into IS NULL`,
    [profileId],
  );
  return rows[0] ?? null;
}

/** Writes the merged traits and hands the profile to real-time evaluation in the same transaction (as ingestion does). */
export async function writeProfileTraits(manager: EntityManager, row: ProfileTraitsRow): Promise<void> {
  await manager.query(`UPDATE profiles SET traits = $2, trait_timestamps = $3, updated_at = now() WHERE id = $1`, [
    row.id,
    JSON.stringify(row.traits),
    JSON.stringify(row.traitTimestamps),
  ]);
  await manager.query(`INSERT INTO realtime_touches (profile_id) VALUES ($1)`, [row.id]);
}

/** Mirror activations holding the profile whose destination requires one of `categories`. */
export async function mirrorActivationsRequiring(
  manager: EntityManager,
  profileId: string,
  categories: readonly string[],
): Promise<string[]> {
  const rows: { activation_id: string }[] = await manager.query(
    `SELECT DISTINCT am.activation_id FROM activation_members am
       JOIN activations a ON a.id = am.activation_id AND a.mode = 'mirror'
       JOIN destination_consent_categories d ON d.destination_id = a.destination_id AND d.category_key = ANY($2::text[])
     WHERE am.profile_id = $1 AND am.state = 'present' ORDER BY am.activation_id`,
    [profileId, categories],
  );
  return rows.map((row) => row.activation_id);
}

export interface WithdrawalRow {
  id: string;
  profileId: string;
  keys: string[];
}

/** The oldest withdrawals (of one profile, or any), locked so parallel drains share the work. */
export async function lockWithdrawals(manager: EntityManager, limit: number, profileId: string | null): Promise<WithdrawalRow[]> {
  return manager.query(
    `SELECT id::text AS id, profile_id AS "profileId", keys FROM consent_withdrawals
     WHERE ($2::uuid IS NULL OR profile_id = $2) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit, profileId],
  );
}

export async function deleteWithdrawals(manager: EntityManager, ids: readonly string[]): Promise<void> {
  await manager.query(`DELETE FROM consent_withdrawals WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function insertConsentAudit(
  manager: EntityManager,
  action: string,
  objectType: string,
  objectId: string,
  actorKeyId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await manager.query(`INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, $3, $4, $5)`, [
    actorKeyId,
    action,
    objectType,
    objectId,
    JSON.stringify(details),
  ]);
}
