import { EntityManager } from 'typeorm';

/**
 * Every SQL string of `computed_traits`, `computed_trait_versions` and `computed_trait_due` (the
 * values live in trait-values.repository.ts). Golden SQL: `__golden__/computed-traits.repository.sql`.
 */

export interface ComputedTraitRow {
  id: string;
  key: string;
  description: string;
  owner: string;
  cadence: string;
  current_version: number;
  last_run_at: Date | null;
  last_run: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  definition: Record<string, unknown>;
  version_created_at: Date;
  version_created_by: string | null;
}

const SELECT_TRAIT = `SELECT t.id, t.key, t.description, t.owner, t.cadence, t.current_version, t.last_run_at, t.last_run, t.created_at, t.updated_at,
            v.definition, v.created_at AS version_created_at, v.created_by AS version_created_by
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version`;

// The one namespace of derived-value keys, shared with SQL traits (libs/sql-traits calls this
// function, exported from the package): a save checks and claims its key while holding it ('ak:sqlt').
const KEY_NAMESPACE_LOCK = 0x616b_7371;

export async function lockKeyNamespace(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock($1)`, [KEY_NAMESPACE_LOCK]);
}

export async function findTrait(manager: EntityManager, key: string): Promise<ComputedTraitRow | undefined> {
  const [row] = await manager.query(`${SELECT_TRAIT} WHERE t.key = $1 AND t.deleted_at IS NULL`, [key]);
  return row;
}

export async function listTraits(manager: EntityManager): Promise<ComputedTraitRow[]> {
  return manager.query(`${SELECT_TRAIT} WHERE t.deleted_at IS NULL ORDER BY t.key`);
}

export async function insertTrait(
  manager: EntityManager,
  trait: { key: string; description: string; owner: string; cadence: string },
  definition: unknown,
  createdBy: string | null,
): Promise<string> {
  const [row] = await manager.query(
    `INSERT INTO computed_traits (key, description, owner, cadence, current_version) VALUES ($1, $2, $3, $4, 1) RETURNING id`,
    [trait.key, trait.description, trait.owner, trait.cadence],
  );
  await manager.query(`INSERT INTO computed_trait_versions (trait_id, version, definition, created_by) VALUES ($1, 1, $2, $3)`, [
    row.id,
    JSON.stringify(definition),
    createdBy,
  ]);
  return row.id;
}

/** Updates the card; with a definition, adds version current + 1 and makes it current. */
export async function updateTrait(
  manager: EntityManager,
  id: string,
  card: { description: string; owner: string; cadence: string },
  definition: unknown | undefined,
  createdBy: string | null,
): Promise<void> {
  if (definition !== undefined) {
    await manager.query(
      `INSERT INTO computed_trait_versions (trait_id, version, definition, created_by)
       SELECT id, current_version + 1, $2, $3 FROM computed_traits WHERE id = $1`,
      [id, JSON.stringify(definition), createdBy],
    );
  }
  await manager.query(
    `UPDATE computed_traits SET description = $2, owner = $3, cadence = $4, current_version = current_version + $5, updated_at = now() WHERE id = $1`,
    [id, card.description, card.owner, card.cadence, definition === undefined ? 0 : 1],
  );
}

export async function softDeleteTrait(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`UPDATE computed_traits SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

/** Takes the trait's run lock for this transaction (false: another worker is running it). */
export async function tryLockTraitRun(manager: EntityManager, id: string): Promise<boolean> {
  const [row] = await manager.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('computed-trait-run:' || $1, 0)) AS locked`, [id]);
  return row.locked === true;
}

export async function recordRun(manager: EntityManager, id: string, at: Date, run: Record<string, unknown>): Promise<void> {
  await manager.query(`UPDATE computed_traits SET last_run_at = $2, last_run = $3 WHERE id = $1`, [
    id,
    at.toISOString(),
    JSON.stringify(run),
  ]);
}

/** Traits run on a cadence (cron or realtime's daily reconcile), with the instant after which a fire time is due. */
export async function scheduledTraits(manager: EntityManager): Promise<{ id: string; key: string; cadence: string; since: Date }[]> {
  return manager.query(
    `SELECT id, key, cadence, coalesce(last_run_at, created_at) AS since FROM computed_traits WHERE deleted_at IS NULL AND cadence <> 'manual' ORDER BY key`,
  );
}

/** The live real-time traits with their current definitions. */
export async function realtimeTraits(manager: EntityManager): Promise<{ id: string; key: string; version: number; definition: unknown }[]> {
  return manager.query(
    `SELECT t.id, t.key, t.current_version AS version, v.definition
       FROM computed_traits t JOIN computed_trait_versions v ON v.trait_id = t.id AND v.version = t.current_version
      WHERE t.deleted_at IS NULL AND t.cadence = 'realtime' ORDER BY t.key`,
  );
}

/**
 * Which of `keys` name a derived value that exists: a live computed trait (with its cadence), a
 * live SQL trait's column (when SQL traits are installed), or stored values of any source.
 */
export async function knownTraitKeys(manager: EntityManager, keys: readonly string[]): Promise<{ key: string; cadence: string | null }[]> {
  if (keys.length === 0) return [];
  const [{ sql_traits }] = await manager.query(`SELECT to_regclass('sql_traits') IS NOT NULL AS sql_traits`);
  const sqlColumns = sql_traits
    ? `OR EXISTS (SELECT 1 FROM sql_traits s JOIN sql_trait_versions sv ON sv.trait_id = s.id AND sv.version = s.current_version
                   WHERE s.deleted_at IS NULL AND k.key = ANY(sv.value_columns))`
    : '';
  return manager.query(
    `SELECT k.key, c.cadence FROM unnest($1::text[]) AS k(key)
       LEFT JOIN computed_traits c ON c.key = k.key AND c.deleted_at IS NULL
      WHERE c.id IS NOT NULL OR EXISTS (SELECT 1 FROM computed_trait_values v WHERE v.key = k.key) ${sqlColumns}
      ORDER BY k.key`,
    [keys],
  );
}

/** Keys a live SQL trait produces (when SQL traits are installed): a computed trait may not take one. */
export async function sqlTraitKeys(manager: EntityManager, keys: readonly string[]): Promise<{ key: string; owner: string }[]> {
  const [{ sql_traits }] = await manager.query(`SELECT to_regclass('sql_traits') IS NOT NULL AS sql_traits`);
  if (!sql_traits || keys.length === 0) return [];
  return manager.query(
    `SELECT k.key, 'SQL trait ' || s.key AS owner
       FROM sql_traits s JOIN sql_trait_versions sv ON sv.trait_id = s.id AND sv.version = s.current_version
       CROSS JOIN LATERAL unnest(sv.value_columns) AS k(key)
      WHERE s.deleted_at IS NULL AND k.key = ANY($1::text[]) ORDER BY 1, 2`,
    [keys],
  );
}

/** Live segments whose current version has a `computed_trait` condition on `key`, with their cadence. */
export async function segmentsReferencing(manager: EntityManager, key: string): Promise<{ key: string; cadence: string }[]> {
  return manager.query(
    `SELECT s.key, s.refresh_cadence AS cadence FROM segments s JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
      WHERE s.deleted_at IS NULL AND jsonb_path_exists(v.definition, 'strict $.** ? (@.type == "computed_trait" && @.key == $key)', jsonb_build_object('key', $1::text))
      ORDER BY s.key`,
    [key],
  );
}

/** A deleted trait's pending due times. */
export async function deleteTraitDueTimes(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`DELETE FROM computed_trait_due WHERE trait_id = $1`, [id]);
}

/** Events of these profiles the real-time traits read (their names; after `since`, null: all), with ids for ties. */
export async function traitEvents(
  manager: EntityManager,
  profileIds: readonly string[],
  names: readonly string[],
  since: Date | null,
): Promise<{ profile_id: string; id: string; name: string; ts: number; properties: Record<string, unknown> | null }[]> {
  if (profileIds.length === 0 || names.length === 0) return [];
  return manager.query(
    `SELECT profile_id, id, name, floor(extract(epoch FROM timestamp) * 1000)::float8 AS ts, properties
       FROM events WHERE profile_id = ANY($1::uuid[]) AND name = ANY($2::text[]) AND ($3::timestamptz IS NULL OR timestamp > $3)`,
    [profileIds, names, since],
  );
}

/** Live (not merged, not erased) among these profiles. */
export async function liveProfiles(manager: EntityManager, profileIds: readonly string[]): Promise<Set<string>> {
  const rows: { id: string }[] = await manager.query(
    `SELECT id FROM profiles WHERE id = ANY($1::uuid[]) AND merged_into IS NULL AND deleted_at IS NULL`,
    [profileIds],
  );
  return new Set(rows.map((row) => row.id));
}

/** The stored values of `keys` for these profiles. */
export async function valuesFor(
  manager: EntityManager,
  profileIds: readonly string[],
  keys: readonly string[],
): Promise<{ profile_id: string; key: string; value: unknown }[]> {
  if (profileIds.length === 0 || keys.length === 0) return [];
  return manager.query(
    `SELECT profile_id, key, value FROM computed_trait_values WHERE profile_id = ANY($1::uuid[]) AND key = ANY($2::text[])`,
    [profileIds, keys],
  );
}

/** Replaces the due times of these profiles for the real-time traits (one row per trait and profile with a next change). */
export async function replaceTraitDueTimes(
  manager: EntityManager,
  profileIds: readonly string[],
  due: readonly { traitId: string; profileId: string; dueAt: number }[],
): Promise<void> {
  if (profileIds.length === 0) return;
  await manager.query(`DELETE FROM computed_trait_due WHERE profile_id = ANY($1::uuid[])`, [profileIds]);
  if (due.length === 0) return;
  await manager.query(
    `INSERT INTO computed_trait_due (trait_id, profile_id, due_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) ON CONFLICT (trait_id, profile_id) DO UPDATE SET due_at = least(computed_trait_due.due_at, excluded.due_at)`,
    [due.map((row) => row.traitId), due.map((row) => row.profileId), due.map((row) => new Date(row.dueAt).toISOString())],
  );
}

/**
 * Hands over to the real-time evaluator (a `realtime_touches` row) every profile one of whose
 * real-time traits is due: the evaluator recomputes its traits, then its segments. The due rows go.
 */
export async function handOverDueTraits(manager: EntityManager, now: Date, limit: number): Promise<number> {
  const [row] = await manager.query(
    `WITH due AS (
       DELETE FROM computed_trait_due d WHERE (d.trait_id, d.profile_id) IN (
         SELECT trait_id, profile_id FROM computed_trait_due WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING d.profile_id
     ), touched AS (
       INSERT INTO realtime_touches (profile_id) SELECT DISTINCT profile_id FROM due RETURNING 1
     )
     SELECT count(*)::int AS touched FROM touched`,
    [now.toISOString(), limit],
  );
  return row.touched;
}

/** Hands over every live profile with an event of this name (those a real-time trait's new version can give a value or a due time). */
export async function touchProfilesWithEvent(manager: EntityManager, eventName: string): Promise<number> {
  const [, count]: [unknown, number] = await manager.query(
    `INSERT INTO realtime_touches (profile_id)
     SELECT p.id FROM profiles p WHERE p.merged_into IS NULL AND p.deleted_at IS NULL AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.name = $1)`,
    [eventName],
  );
  return count;
}
