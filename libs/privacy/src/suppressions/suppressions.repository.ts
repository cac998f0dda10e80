import type { EntityManager } from 'typeorm';
import type { SuppressionFilter } from './suppression-input';

/** Every SQL statement of the suppression list (the service holds the decisions). */

export interface SuppressionRow {
  id: string;
  identifierType: string;
  value: string;
  channel: string;
  reason: string;
  createdAt: Date;
}

export interface SuppressionKeyRow {
  identifierType: string;
  value: string;
  channel: string;
  reason: string;
}

const COLUMNS = `id::text AS id, identifier_type AS "identifierType", identifier_value AS value, channel, reason, created_at AS "createdAt"`;

// $1..$6: the filters (null = any); the reason matches as a case-insensitive substring.
const FILTER_SQL = `($1::text IS NULL OR channel = $1)
   AND ($2::text IS NULL OR identifier_type = $2)
   AND ($3::text IS NULL OR strpos(lower(reason), lower($3)) > 0)
   AND ($4::text IS NULL OR identifier_value = $4)
   AND ($5::timestamptz IS NULL OR created_at >= $5)
   AND ($6::timestamptz IS NULL OR created_at < $6)`;

function filterParams(filter: SuppressionFilter): unknown[] {
  return [
    filter.channel ?? null,
    filter.identifierType ?? null,
    filter.reason ?? null,
    filter.value ?? null,
    filter.createdFrom ?? null,
    filter.createdTo ?? null,
  ];
}

/** A page of the list, newest first; `before` is the keyset cursor (an id). */
export async function listSuppressions(
  manager: EntityManager,
  filter: SuppressionFilter,
  before: string | null,
  limit: number,
): Promise<SuppressionRow[]> {
  return manager.query(
    `SELECT ${COLUMNS} FROM suppressions WHERE ${FILTER_SQL} AND ($7::bigint IS NULL OR id < $7) ORDER BY id DESC LIMIT $8`,
    [...filterParams(filter), before, limit],
  );
}

export async function countSuppressions(manager: EntityManager, filter: SuppressionFilter): Promise<number> {
  const [row]: { n: number }[] = await manager.query(
    `SELECT count(*)::int AS n FROM suppressions WHERE ${FILTER_SQL}`,
    filterParams(filter),
  );
  return row.n;
}

/** A page of the export, oldest first (`after` is an id): rows added while exporting come last. */
export async function exportPage(
  manager: EntityManager,
  filter: SuppressionFilter,
  after: string | null,
  limit: number,
): Promise<SuppressionRow[]> {
  return manager.query(`SELECT ${COLUMNS} FROM suppressions WHERE ${FILTER_SQL} AND ($7::bigint IS NULL OR id > $7) ORDER BY id LIMIT $8`, [
    ...filterParams(filter),
    after,
    limit,
  ]);
}

/** Inserts the entries not on the list yet (same type, value and channel); answers those inserted. */
export async function insertSuppressions(manager: EntityManager, rows: readonly SuppressionKeyRow[]): Promise<SuppressionRow[]> {
  if (rows.length === 0) return [];
  return manager.query(
    `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason)
     SELECT type, value, channel, reason FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s(type, value, channel, reason)
     ON CONFLICT (identifier_type, identifier_value, channel) DO NOTHING
     RETURNING ${COLUMNS}`,
    [rows.map((row) => row.identifierType), rows.map((row) => row.value), rows.map((row) => row.channel), rows.map((row) => row.reason)],
  );
}

export async function findSuppression(manager: EntityManager, key: Omit<SuppressionKeyRow, 'reason'>): Promise<SuppressionRow | null> {
  const rows: SuppressionRow[] = await manager.query(
    `SELECT ${COLUMNS} FROM suppressions WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3`,
    [key.identifierType, key.value, key.channel],
  );
  return rows[0] ?? null;
}

export async function deleteSuppression(manager: EntityManager, key: Omit<SuppressionKeyRow, 'reason'>): Promise<SuppressionRow | null> {
  // TypeORM answers a DELETE … RETURNING on Postgres as [rows, count].
  const [rows]: [SuppressionRow[], number] = await manager.query(
    `DELETE FROM suppressions WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3 RETURNING ${COLUMNS}`,
    [key.identifierType, key.value, key.channel],
  );
  return rows[0] ?? null;
}

/**
 * Mirror activations whose destination holds (`present`) a profile carrying one of these
 * identifiers (or being one of these profile ids): their next run's diff removes the person.
 */
export async function mirrorActivationsHolding(
  manager: EntityManager,
  identifiers: readonly { identifierType: string; value: string }[],
): Promise<string[]> {
  if (identifiers.length === 0) return [];
  const rows: { activation_id: string }[] = await manager.query(
    `WITH s AS (SELECT * FROM unnest($1::text[], $2::text[]) AS s(type, value)),
          p AS (SELECT i.profile_id FROM identities i JOIN s ON s.value = i.value AND s.type = i.type
                UNION SELECT s.value::uuid FROM s WHERE s.type = 'profile_id')
     SELECT DISTINCT am.activation_id FROM activation_members am
       JOIN p ON p.profile_id = am.profile_id
       JOIN activations a ON a.id = am.activation_id AND a.mode = 'mirror'
     WHERE am.state = 'present' ORDER BY am.activation_id`,
    [identifiers.map((entry) => entry.identifierType), identifiers.map((entry) => entry.value)],
  );
  return rows.map((row) => row.activation_id);
}

/** One audit row of a suppression change (API, CLI or console alike). */
export async function insertSuppressionAudit(
  manager: EntityManager,
  action: string,
  objectId: string | null,
  actorKeyId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, 'suppression', $3, $4)`,
    [actorKeyId, action, objectId, JSON.stringify(details)],
  );
}
