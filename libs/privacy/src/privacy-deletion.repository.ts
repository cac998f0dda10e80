import type { EntityManager } from 'typeorm';

/** Every SQL statement of a privacy deletion (the service holds the order and the decisions). */

export interface Identifier {
  type: string;
  value: string;
}

/** The profile holding the identifier, and every profile merged into it, locked `FOR UPDATE`. */
export async function lockProfilesOf(manager: EntityManager, identifier: Identifier): Promise<string[]> {
  const rows: { id: string }[] = await manager.query(
    `WITH RECURSIVE owner AS (
       SELECT profile_id AS id FROM identities WHERE type = $1 AND value = $2
       UNION SELECT p.id FROM profiles p JOIN owner o ON p.merged_into = o.id
     )
     SELECT p.id FROM profiles p JOIN owner o ON o.id = p.id ORDER BY p.id FOR UPDATE OF p`,
    [identifier.type, identifier.value],
  );
  return rows.map((row) => row.id);
}

export async function identifiersOf(manager: EntityManager, profileIds: string[]): Promise<Identifier[]> {
  if (profileIds.length === 0) return [];
  return manager.query(`SELECT DISTINCT type, value FROM identities WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
}

/** Suppresses each identifier on channel `all`; answers how many entries were new. */
export async function suppressAll(manager: EntityManager, identifiers: Identifier[], reason: string): Promise<number> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason)
     SELECT type, value, 'all', $3 FROM unnest($1::text[], $2::text[]) AS s(type, value)
     ON CONFLICT (identifier_type, identifier_value, channel) DO NOTHING RETURNING id`,
    [identifiers.map((entry) => entry.type), identifiers.map((entry) => entry.value), reason],
  );
  return inserted.length;
}

/** Activations whose destination holds one of the profiles (a `present` member row). */
export async function activationsHolding(manager: EntityManager, profileIds: string[]): Promise<string[]> {
  if (profileIds.length === 0) return [];
  const rows: { activation_id: string }[] = await manager.query(
    `SELECT DISTINCT activation_id FROM activation_members WHERE profile_id = ANY($1::uuid[]) AND state = 'present' ORDER BY activation_id`,
    [profileIds],
  );
  return rows.map((row) => row.activation_id);
}

/** Delivered identifiers of member rows the vendor no longer holds (any state but `present`). */
export async function clearDeliveredIdentifiers(manager: EntityManager, profileIds: string[]): Promise<void> {
  await manager.query(
    `UPDATE activation_members SET identifiers = NULL WHERE profile_id = ANY($1::uuid[]) AND state <> 'present' AND identifiers IS NOT NULL`,
    [profileIds],
  );
}

export async function deleteEvents(manager: EntityManager, profileIds: string[]): Promise<number> {
  return affected(manager, `DELETE FROM events WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
}

export async function deleteIdentities(manager: EntityManager, profileIds: string[]): Promise<number> {
  return affected(manager, `DELETE FROM identities WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
}

/** Derived values (computed and SQL traits, `computed_trait_values`) of the profiles: the tombstones keep none. */
export async function deleteDerivedValues(manager: EntityManager, profileIds: string[]): Promise<number> {
  return affected(manager, `DELETE FROM computed_trait_values WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
}

/** Empties the profiles and marks them deleted: the rows stay as tombstones (ids only). */
export async function emptyProfiles(manager: EntityManager, profileIds: string[]): Promise<void> {
  await manager.query(
    `UPDATE profiles SET traits = '{}', trait_timestamps = '{}', first_seen_at = NULL, last_seen_at = NULL, deleted_at = coalesce(deleted_at, now()), updated_at = now()
      WHERE id = ANY($1::uuid[])`,
    [profileIds],
  );
}

/** What stays of a vendor text that named an erased person. */
/** Hands the profiles to real-time evaluation (libs/segments-service), as ingestion does for the profiles it writes. */
export async function touchForRealtime(manager: EntityManager, profileIds: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  await manager.query(`INSERT INTO realtime_touches (profile_id) SELECT unnest($1::uuid[])`, [profileIds]);
}

export const ERASED_TEXT = 'erased: it named a person deleted on request';

/**
 * Vendor texts that may name the person: their rejection rows go (per profile), the error text of
 * a batch that held them goes when it contains one of their identifiers, and so does every error
 * entry of a run of an activation they were a member of that has such a string anywhere in it
 * (the entry keeps `kind`, `seq` and `at`); identifiers are matched in any case (vendors upper-case
 * addresses). Whole texts are replaced, never substrings, so nothing
 * half-redacted or broken JSON is left whatever the identifier looks like.
 */
export async function forgetVendorTexts(manager: EntityManager, profileIds: string[], values: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  const needles = [...new Set(values.filter((value) => value.length > 0))];
  await manager.query(`DELETE FROM sync_rejections WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
  await manager.query(
    `UPDATE sync_batches SET error = $3
      WHERE profile_ids && $1::uuid[] AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS n(needle) WHERE strpos(lower(error), lower(n.needle)) > 0)`,
    [profileIds, needles, ERASED_TEXT],
  );
  await manager.query(
    `WITH naming AS (
       SELECT r.id, e.ord FROM sync_runs r, jsonb_array_elements(r.errors) WITH ORDINALITY AS e(entry, ord)
       WHERE r.activation_id IN (SELECT activation_id FROM activation_members WHERE profile_id = ANY($1::uuid[]))
         AND jsonb_typeof(r.errors) = 'array'
         AND EXISTS (SELECT 1 FROM jsonb_path_query(e.entry, 'strict $.**') AS v(item), unnest($2::text[]) AS n(needle)
                     WHERE jsonb_typeof(v.item) = 'string' AND strpos(lower(v.item #>> '{}'), lower(n.needle)) > 0))
     UPDATE sync_runs r SET errors = (
       SELECT jsonb_agg(CASE WHEN e.ord IN (SELECT ord FROM naming WHERE naming.id = r.id)
                             THEN jsonb_strip_nulls(jsonb_build_object('kind', e.entry -> 'kind', 'seq', e.entry -> 'seq', 'at', e.entry -> 'at', 'message', $3::text))
                             ELSE e.entry END ORDER BY e.ord)
       FROM jsonb_array_elements(r.errors) WITH ORDINALITY AS e(entry, ord))
     WHERE r.id IN (SELECT id FROM naming)`,
    [profileIds, needles, ERASED_TEXT],
  );
}

export async function insertDeletionAudit(
  manager: EntityManager,
  deletionId: string,
  actorKeyId: string | null,
  record: unknown,
): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, 'privacy.deletion', 'privacy_deletion', $2, $3)`,
    [actorKeyId, deletionId, JSON.stringify(record)],
  );
}

export async function findDeletionAudit<T>(manager: EntityManager, deletionId: string): Promise<T | null> {
  const rows: { details: T }[] = await manager.query(
    `SELECT details FROM audit_log WHERE action = 'privacy.deletion' AND object_type = 'privacy_deletion' AND object_id = $1`,
    [deletionId],
  );
  return rows[0]?.details ?? null;
}

/** Rows affected by a DELETE (TypeORM answers `[rows, count]` on Postgres). */
async function affected(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result: unknown = await manager.query(sql, params);
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
