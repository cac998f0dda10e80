import { normalizeEmail } from '@audiencekit/identity';
import { isUuid } from '@audiencekit/util';
import type { ResultColumn } from './sql-trait-executor.repository';
import type { SqlTraitKeyKind } from './sql-traits.repository';
import { SqlTraitsException } from './sql-traits.exception';

/** What a trait key (and so a value column's name) may be: the computed traits' rule, one namespace. */
export const SQL_TRAIT_KEY_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const KEY_KINDS: readonly SqlTraitKeyKind[] = ['profile_id', 'user_id', 'email'];

export interface ResultShape {
  keyKind: SqlTraitKeyKind;
  /** The key column's name (= the key kind). */
  keyColumn: string;
  /** Every other column: each one a trait key. */
  valueColumns: string[];
}

/**
 * Which column is the profile key and which are values. The key column is named after its kind
 * (`profile_id`, `user_id` or `email`); with no kind given, the one such column the query returns.
 *
 * @throws SqlTraitsException `sql_missing_key_column` (none, or several without a kind),
 *   `sql_invalid_columns` (a name twice, a name that cannot be a trait key, no value column)
 * @example
 * shapeOf([{ name: 'email', type: 'text' }, { name: 'ltv', type: 'numeric' }])
 * // { keyKind: 'email', keyColumn: 'email', valueColumns: ['ltv'] }
 */
export function shapeOf(columns: readonly ResultColumn[], keyKind?: SqlTraitKeyKind): ResultShape {
  const names = columns.map((column) => column.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined)
    throw new SqlTraitsException('sql_invalid_columns', `column ${twice} appears twice: name each column once (AS …)`, [
      { path: `columns.${twice}`, message: 'appears twice' },
    ]);
  let kind = keyKind;
  if (!kind) {
    const candidates = KEY_KINDS.filter((candidate) => names.includes(candidate));
    if (candidates.length > 1)
      throw new SqlTraitsException(
        'sql_missing_key_column',
        `the query returns ${candidates.join(' and ')}: say which is the key (keyKind), the other cannot be a value column`,
        [{ path: 'keyKind', message: `one of ${candidates.join(', ')}` }],
      );
    kind = candidates[0];
  }
  if (!kind || !names.includes(kind))
    throw new SqlTraitsException(
      'sql_missing_key_column',
      `missing key column: the query must return a column named ${kind ?? 'profile_id, user_id or email'} (got ${names.join(', ') || 'no columns'})`,
      [{ path: 'sql', message: `no column ${kind ?? 'profile_id, user_id or email'}` }],
    );
  const valueColumns = names.filter((name) => name !== kind);
  if (valueColumns.length === 0)
    throw new SqlTraitsException('sql_invalid_columns', `the query returns only the key column ${kind}: add at least one value column`, [
      { path: 'sql', message: 'no value column' },
    ]);
  const other = valueColumns.find((name) => KEY_KINDS.includes(name as SqlTraitKeyKind));
  if (other)
    throw new SqlTraitsException('sql_invalid_columns', `column ${other} is a key kind and cannot be a value column (the key is ${kind})`, [
      { path: `columns.${other}`, message: 'a key kind' },
    ]);
  const bad = valueColumns.find((name) => !SQL_TRAIT_KEY_PATTERN.test(name));
  if (bad !== undefined)
    throw new SqlTraitsException(
      'sql_invalid_columns',
      `column ${JSON.stringify(bad)} cannot be a trait key: name it with AS, 1-63 characters, a lower-case letter then lower-case letters, digits or _`,
      [{ path: `columns.${bad}`, message: 'not a valid trait key' }],
    );
  return { keyKind: kind, keyColumn: kind, valueColumns };
}

/** A row's key as stored in identities (emails normalised), or undefined when it cannot name anyone. */
export function normalisedKey(kind: SqlTraitKeyKind, raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const text = String(raw);
  switch (kind) {
    case 'profile_id':
      return isUuid(text.trim()) ? text.trim().toLowerCase() : undefined;
    case 'email':
      return normalizeEmail(text) ?? undefined;
    case 'user_id':
      return text.length > 0 ? text : undefined;
  }
}

export interface KeyedRows {
  /** Normalised key → the row, for keys that can name someone. */
  byKey: Map<string, Record<string, unknown>>;
  /** Rows whose key is null, empty or malformed. */
  unusable: number;
  unusableExamples: unknown[];
}

/**
 * Indexes rows by their normalised key.
 * @throws SqlTraitsException `sql_duplicate_keys` naming the first key seen twice
 */
export function keyRows(shape: ResultShape, rows: readonly Record<string, unknown>[]): KeyedRows {
  const byKey = new Map<string, Record<string, unknown>>();
  let unusable = 0;
  const unusableExamples: unknown[] = [];
  for (const row of rows) {
    const key = normalisedKey(shape.keyKind, row[shape.keyColumn]);
    if (key === undefined) {
      unusable += 1;
      if (unusableExamples.length < 5) unusableExamples.push(row[shape.keyColumn] ?? null);
      continue;
    }
    if (byKey.has(key))
      throw new SqlTraitsException(
        'sql_duplicate_keys',
        `duplicate keys: ${shape.keyColumn} ${JSON.stringify(key)} is on more than one row (one row per profile: GROUP BY ${shape.keyColumn})`,
        [{ path: `columns.${shape.keyColumn}`, message: `duplicate key ${key}` }],
        { example: key },
      );
    byKey.set(key, row);
  }
  return { byKey, unusable, unusableExamples };
}
