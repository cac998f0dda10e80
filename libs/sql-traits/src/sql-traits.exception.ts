import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a SQL trait was refused. apps/api maps each code to an HTTP status (all 400 but the last three). */
export type SqlTraitsExceptionCode =
  /** The body fails its schema (details name the field). */
  | 'invalid_sql_trait'
  /** Postgres could not parse the query (extra: position, line, column in the admin's text). */
  | 'sql_syntax_error'
  /** Not one SELECT: another statement, several statements, a write. */
  | 'sql_not_a_select'
  /** A table, column, function or schema the views do not have. */
  | 'sql_unknown_identifier'
  /** Anything but the documented views (permission denied). */
  | 'sql_permission_denied'
  /** Ran past the statement timeout. */
  | 'sql_timeout'
  /** More rows than the row cap. */
  | 'sql_too_many_rows'
  /** Any other error Postgres raised while running the query (division by zero, a bad cast). */
  | 'sql_query_failed'
  /** No column named after the key kind, or more than one key column candidate. */
  | 'sql_missing_key_column'
  /** No value column, a column name that cannot be a trait key, a column named twice. */
  | 'sql_invalid_columns'
  /** The same key on two rows (or two keys naming one profile). */
  | 'sql_duplicate_keys'
  /** A value column is a key another computed or SQL trait owns. */
  | 'sql_trait_key_collision'
  | 'sql_trait_key_taken'
  | 'sql_trait_not_found'
  /** The database role or its grants are missing (the app's user lacks CREATEROLE): 503 with the reason. */
  | 'sql_traits_unavailable';

export class SqlTraitsException extends CodedException<SqlTraitsExceptionCode> {
  constructor(code: SqlTraitsExceptionCode, message: string, details?: readonly ErrorDetail[], extra?: Record<string, unknown>) {
    super(code, message, details, extra);
  }
}
