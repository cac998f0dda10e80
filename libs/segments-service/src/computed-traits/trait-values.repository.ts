import { EntityManager } from 'typeorm';
import type { TraitValueSourceKind } from '@audiencekit/persistence';

/**
 * Every SQL string of `computed_trait_values`, THE store of derived per-profile values that
 * computed traits (`source_kind` 'computed') and SQL traits ('sql') write and rules, the profile
 * page and activation read. Plain functions over the caller's `EntityManager`: the caller decides
 * the transaction. Golden SQL: `__golden__/trait-values.repository.sql`.
 *
 * Ownership: a key belongs to one source. Writes never take a row another source owns (the
 * upsert's `WHERE` leaves it alone), and the services refuse a key another source already owns
 * with a 400 before saving (`keyOwners`).
 */

/** Who writes a set of values. */
export interface TraitValueSource {
  kind: TraitValueSourceKind;
  id: string;
  version: number;
}

/** One derived value of one profile. `value` null/undefined means "no value" (no row is kept). */
export interface TraitValueRow {
  profileId: string;
  key: string;
  value: unknown;
}

export interface TraitValueWrite {
  /** Rows inserted or changed (value or source version). */
  upserted: number;
  /** Rows of the source removed because the profile no longer has a value (or the key left the source). */
  deleted: number;
}

/**
 * Replaces every value a source holds with `rows`, set-wise, in one statement: upserts the rows
 * whose value (or source version) changed, deletes the source's rows that `rows` no longer has
 * (a profile that lost its value, a key the source no longer produces). Rows of profiles that do
 * not exist, and rows whose value is null, are skipped (no value = no row). Rows must not repeat a
 * (profile, key) pair. For SQL traits, whose rows arrive from an admin's SELECT.
 *
 * Same shape as libs/segments-domain's `compileComputedTraitRefresh` (see there why): incoming and
 * stored rows meet in a FULL JOIN (hash or merge, never a nested loop, even on a table without
 * statistics), only changed rows reach the INSERT, and the delete finds its rows by ctid. An
 * unchanged value keeps its `computed_at`: it is the time the value last changed.
 */
export async function replaceSourceValues(
  manager: EntityManager,
  source: TraitValueSource,
  rows: readonly TraitValueRow[],
  computedAt: Date,
): Promise<TraitValueWrite> {
  const incoming = JSON.stringify(
    rows
      .filter((row) => row.value !== undefined && row.value !== null)
      .map((row) => ({ profile_id: row.profileId, key: row.key, value: row.value })),
  );
  const [result] = await manager.query(
    `WITH incoming AS MATERIALIZED (
       SELECT r.profile_id, r.key, r.value FROM jsonb_to_recordset($1::jsonb) AS r(profile_id uuid, key text, value jsonb)
        WHERE r.value IS NOT NULL AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = r.profile_id)
     ), stored AS MATERIALIZED (
       SELECT s.ctid AS row_id, s.profile_id, s.key, s.value, s.source_version FROM computed_trait_values s
        WHERE s.source_kind = $2 AND s.source_id = $3
     ), changes AS MATERIALIZED (
       SELECT i.profile_id, i.key, i.value, s.row_id AS gone_row_id
         FROM incoming i FULL JOIN stored s ON s.profile_id = i.profile_id AND s.key = i.key
        WHERE i.profile_id IS NULL OR s.profile_id IS NULL OR s.value IS DISTINCT FROM i.value OR s.source_version IS DISTINCT FROM $4::int
     ), upserted AS (
       INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT ch.profile_id, ch.key, ch.value, $2, $3, $4, $5 FROM changes ch WHERE ch.profile_id IS NOT NULL
       ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
        WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
          AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
       RETURNING 1
     ), deleted AS (
       DELETE FROM computed_trait_values v USING changes ch WHERE ch.profile_id IS NULL AND v.ctid = ch.gone_row_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted`,
    [incoming, source.kind, source.id, source.version, computedAt.toISOString()],
  );
  return { upserted: result.upserted, deleted: result.deleted };
}

/**
 * Sets the values of some keys of ONE profile (real-time maintenance): each entry upserts the
 * value, or deletes the row when the value is null/undefined. Only rows the entry's source owns
 * (or no one) are touched.
 */
export async function writeProfileValues(
  manager: EntityManager,
  profileId: string,
  entries: readonly { key: string; source: TraitValueSource; value: unknown }[],
  computedAt: Date,
): Promise<TraitValueWrite> {
  if (entries.length === 0) return { upserted: 0, deleted: 0 };
  const rows = JSON.stringify(
    entries.map((entry) => ({
      key: entry.key,
      value: entry.value === undefined ? null : entry.value,
      source_kind: entry.source.kind,
      source_id: entry.source.id,
      source_version: entry.source.version,
    })),
  );
  const [result] = await manager.query(
    `WITH entries AS (
       SELECT r.key, r.value, r.source_kind, r.source_id, r.source_version
         FROM jsonb_to_recordset($2::jsonb) AS r(key text, value jsonb, source_kind text, source_id uuid, source_version int)
        WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.id = $1::uuid)
     ), upserted AS (
       INSERT INTO computed_trait_values AS v (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT $1::uuid, e.key, e.value, e.source_kind, e.source_id, e.source_version, $3 FROM entries e WHERE e.value IS NOT NULL
       ON CONFLICT (profile_id, key) DO UPDATE SET value = excluded.value, source_version = excluded.source_version, computed_at = excluded.computed_at
        WHERE v.source_kind = excluded.source_kind AND v.source_id = excluded.source_id
          AND (v.value IS DISTINCT FROM excluded.value OR v.source_version IS DISTINCT FROM excluded.source_version)
       RETURNING 1
     ), deleted AS (
       DELETE FROM computed_trait_values v USING entries e
        WHERE v.profile_id = $1::uuid AND v.key = e.key AND e.value IS NULL AND v.source_kind = e.source_kind AND v.source_id = e.source_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM deleted)::int AS deleted`,
    [profileId, rows, computedAt.toISOString()],
  );
  return { upserted: result.upserted, deleted: result.deleted };
}

/**
 * Runs a set-wise refresh statement built by `compileComputedTraitRefresh` (libs/segments-domain),
 * which writes and returns `{ upserted, deleted, profiles }`.
 */
export async function runRefreshStatement(
  manager: EntityManager,
  statement: { text: string; values: unknown[] },
): Promise<{ upserted: number; deleted: number; withValue: number }> {
  const [row] = await manager.query(statement.text, statement.values);
  return { upserted: Number(row.upserted), deleted: Number(row.deleted), withValue: Number(row.with_value) };
}

/** Which source (kind and id) holds each of these keys, for keys held by any source but `exceptSourceId`. */
export async function keyOwners(
  manager: EntityManager,
  keys: readonly string[],
  exceptSourceId: string | null,
): Promise<{ key: string; sourceKind: TraitValueSourceKind; sourceId: string }[]> {
  if (keys.length === 0) return [];
  const rows: { key: string; source_kind: TraitValueSourceKind; source_id: string }[] = await manager.query(
    `SELECT DISTINCT ON (k.key) k.key, v.source_kind, v.source_id
       FROM unnest($1::text[]) AS k(key)
       CROSS JOIN LATERAL (SELECT source_kind, source_id FROM computed_trait_values c
                            WHERE c.key = k.key AND ($2::uuid IS NULL OR c.source_id <> $2::uuid) LIMIT 1) v
      ORDER BY k.key`,
    [keys, exceptSourceId],
  );
  return rows.map((row) => ({ key: row.key, sourceKind: row.source_kind, sourceId: row.source_id }));
}

/** Deletes every value a source wrote (the source was deleted). */
export async function deleteSourceValues(manager: EntityManager, sourceKind: TraitValueSourceKind, sourceId: string): Promise<number> {
  const [, count]: [unknown, number] = await manager.query(`DELETE FROM computed_trait_values WHERE source_kind = $1 AND source_id = $2`, [
    sourceKind,
    sourceId,
  ]);
  return count;
}

/** Every derived value of one profile, by key. */
export async function profileValues(
  manager: EntityManager,
  profileId: string,
): Promise<{ key: string; value: unknown; sourceKind: TraitValueSourceKind; sourceId: string; sourceVersion: number; computedAt: Date }[]> {
  const rows: {
    key: string;
    value: unknown;
    source_kind: TraitValueSourceKind;
    source_id: string;
    source_version: number;
    computed_at: Date;
  }[] = await manager.query(
    `SELECT key, value, source_kind, source_id, source_version, computed_at FROM computed_trait_values WHERE profile_id = $1 ORDER BY key`,
    [profileId],
  );
  return rows.map((row) => ({
    key: row.key,
    value: row.value,
    sourceKind: row.source_kind,
    sourceId: row.source_id,
    sourceVersion: row.source_version,
    computedAt: row.computed_at,
  }));
}

/** The values of one key, most recently computed first (the API's `values?limit`). */
export async function valuesOfKey(
  manager: EntityManager,
  key: string,
  limit: number,
): Promise<{ profileId: string; value: unknown; sourceVersion: number; computedAt: Date }[]> {
  const rows: { profile_id: string; value: unknown; source_version: number; computed_at: Date }[] = await manager.query(
    `SELECT profile_id, value, source_version, computed_at FROM computed_trait_values WHERE key = $1 ORDER BY computed_at DESC, profile_id LIMIT $2`,
    [key, limit],
  );
  return rows.map((row) => ({
    profileId: row.profile_id,
    value: row.value,
    sourceVersion: row.source_version,
    computedAt: row.computed_at,
  }));
}
