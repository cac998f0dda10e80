import { EntityManager } from 'typeorm';

/**
 * Every SQL string of the SQL trait definitions and their key resolution (golden SQL:
 * `__golden__/sql-traits.repository.sql`). The values themselves are written through
 * `replaceSourceValues` of @audiencekit/segments-service (the one store, `computed_trait_values`).
 */

export type SqlTraitKeyKind = 'profile_id' | 'user_id' | 'email';

export interface SqlTraitRow {
  id: string;
  key: string;
  name: string;
  description: string;
  owner: string;
  cadence: string;
  current_version: number;
  last_run_at: Date | null;
  last_run: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  sql: string;
  key_kind: SqlTraitKeyKind;
  value_columns: string[];
  version_created_at: Date;
  version_created_by: string | null;
}

const SELECT_TRAIT = `SELECT t.id, t.key, t.name, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.sql, v.key_kind, v.value_columns, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM sql_traits t JOIN sql_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version`;

/** The live SQL trait with this key and its current version, or undefined. */
export async function findTrait(manager: EntityManager, key: string): Promise<SqlTraitRow | undefined> {
  const [row] = await manager.query(`${SELECT_TRAIT} WHERE t.key = $1 AND t.deleted_at IS NULL`, [key]);
  return row;
}

/** Every live SQL trait, by key. */
export async function listTraits(manager: EntityManager): Promise<SqlTraitRow[]> {
  return manager.query(`${SELECT_TRAIT} WHERE t.deleted_at IS NULL ORDER BY t.key`);
}

export interface NewSqlTrait {
  key: string;
  name: string;
  description: string;
  owner: string;
  cadence: string;
}

/** Inserts the card (version 1); returns its id. */
export async function insertTrait(manager: EntityManager, trait: NewSqlTrait): Promise<string> {
  const [row] = await manager.query(
    `INSERT INTO sql_traits (key, name, description, owner, cadence) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [trait.key, trait.name, trait.description, trait.owner, trait.cadence],
  );
  return row.id;
}

export interface NewSqlTraitVersion {
  sql: string;
  keyKind: SqlTraitKeyKind;
  valueColumns: string[];
  createdBy: string | null;
}

/** Inserts an immutable version. */
export async function insertVersion(manager: EntityManager, traitId: string, version: number, content: NewSqlTraitVersion): Promise<void> {
  await manager.query(
    `INSERT INTO sql_trait_versions (trait_id, version, sql, key_kind, value_columns, created_by) VALUES ($1, $2, $3, $4, $5::text[], $6)`,
    [traitId, version, content.sql, content.keyKind, content.valueColumns, content.createdBy],
  );
}

/** Changes the card (and points it at `version`). */
export async function updateTrait(manager: EntityManager, id: string, card: Omit<NewSqlTrait, 'key'>, version: number): Promise<void> {
  await manager.query(
    `UPDATE sql_traits SET name = $2, description = $3, owner = $4, cadence = $5, current_version = $6, updated_at = now() WHERE id = $1`,
    [id, card.name, card.description, card.owner, card.cadence, version],
  );
}

/** Soft-deletes the card (its versions stay for history). */
export async function softDeleteTrait(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`UPDATE sql_traits SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

/** Records the outcome of a run on the card. */
export async function recordRun(manager: EntityManager, id: string, at: Date, run: Record<string, unknown>): Promise<void> {
  await manager.query(`UPDATE sql_traits SET last_run_at = $2, last_run = $3::jsonb WHERE id = $1`, [
    id,
    at.toISOString(),
    JSON.stringify(run),
  ]);
}

/**
 * Keys already taken by someone else: live computed traits' keys, and the value columns of other
 * live SQL traits' current versions (their values may not exist yet). Values already stored under
 * a key are checked by `keyOwners` of the values repository.
 */
export async function reservedKeys(
  manager: EntityManager,
  keys: readonly string[],
  exceptTraitId: string | null,
): Promise<{ key: string; owner: string }[]> {
  if (keys.length === 0) return [];
  return manager.query(
    `SELECT c.key, 'computed trait ' || c.key AS owner FROM computed_traits c WHERE c.deleted_at IS NULL AND c.key = ANY($1::text[])
     UNION ALL
     SELECT k.key, 'SQL trait ' || t.key AS owner
       FROM sql_traits t JOIN sql_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
       CROSS JOIN LATERAL unnest(v.value_columns) AS k(key)
      WHERE t.deleted_at IS NULL AND ($2::uuid IS NULL OR t.id <> $2::uuid) AND k.key = ANY($1::text[])
     ORDER BY 1, 2`,
    [keys, exceptTraitId],
  );
}

/** The key of the live SQL trait with this id, when it is one (for naming a key's owner). */
export async function traitKeyById(manager: EntityManager, id: string): Promise<string | undefined> {
  const [row] = await manager.query(`SELECT key FROM sql_traits WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return row?.key;
}

/**
 * Resolves keys to live profiles. `profile_id`: the profile, or the winner it was merged into;
 * `user_id` / `email`: through identities (normalised values; merges move identities to the
 * winner). Deleted profiles resolve to nothing. Keys that resolve to nothing are left out.
 */
export async function resolveKeys(
  manager: EntityManager,
  kind: SqlTraitKeyKind,
  keys: readonly string[],
): Promise<{ key: string; profile_id: string }[]> {
  if (keys.length === 0) return [];
  if (kind === 'profile_id')
    return manager.query(
      `SELECT k.key, w.id AS profile_id
         FROM unnest($1::text[]) AS k(key)
         JOIN profiles p ON p.id = k.key::uuid
         JOIN profiles w ON w.id = coalesce(p.merged_into, p.id)
        WHERE w.merged_into IS NULL AND w.deleted_at IS NULL`,
      [keys],
    );
  return manager.query(
    `SELECT k.key, w.id AS profile_id
       FROM unnest($2::text[]) AS k(key)
       JOIN identities i ON i.type = $1 AND i.value = k.key
       JOIN profiles p ON p.id = i.profile_id
       JOIN profiles w ON w.id = coalesce(p.merged_into, p.id)
      WHERE w.merged_into IS NULL AND w.deleted_at IS NULL`,
    [kind, keys],
  );
}

/** Live SQL traits with a cadence, and the fire time they last ran for (or their creation). */
export async function scheduledTraits(manager: EntityManager): Promise<{ id: string; key: string; cadence: string; since: Date }[]> {
  return manager.query(
    `SELECT id, key, cadence, coalesce(last_scheduled_for, created_at) AS since FROM sql_traits WHERE deleted_at IS NULL AND cadence <> 'manual' ORDER BY key`,
  );
}

/**
 * Claims the run of one fire time: true for exactly one caller per (trait, fire time), so N workers
 * ticking together run each due SQL trait once.
 */
export async function claimFireTime(manager: EntityManager, id: string, due: Date): Promise<boolean> {
  const [rows]: [unknown[], number] = await manager.query(
    `UPDATE sql_traits SET last_scheduled_for = $2 WHERE id = $1 AND deleted_at IS NULL AND (last_scheduled_for IS NULL OR last_scheduled_for < $2) RETURNING id`,
    [id, due.toISOString()],
  );
  return rows.length > 0;
}
