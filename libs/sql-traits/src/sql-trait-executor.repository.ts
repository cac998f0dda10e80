import type { DataSource } from 'typeorm';
import { SQL_TRAITS_READER_ROLE } from '@audiencekit/persistence';
import { toSqlTraitError, type PostgresErrorLike } from './sql-error';
import { SqlTraitsException } from './sql-traits.exception';

/**
 * Runs an admin's SELECT where it can do no harm. Every SQL string of the executor is here (golden
 * SQL: `__golden__/sql-trait-executor.repository.sql`; the statements are logged through the data
 * source's logger so the golden test sees them).
 *
 * On one connection of the pool, in one transaction that always ends in ROLLBACK:
 * 1. `BEGIN READ ONLY`: Postgres refuses every write, nextval, SELECT … FOR UPDATE, lo_create.
 * 2. `set_config(…, true)` (transaction-local) of statement_timeout, lock_timeout,
 *    idle_in_transaction_session_timeout and search_path = sql_traits, pg_catalog, pg_temp.
 * 3. `SET LOCAL ROLE audiencekit_sql_traits_reader`: from here privileges are the reader's, which
 *    can read the four views of the `sql_traits` schema and nothing else. It cannot go back: SET and
 *    RESET are statements of their own, and `set_config('role', …)` is not executable by it
 *    (migration 1796700200000 revokes it from PUBLIC; `availability` checks it).
 * 4. The admin's text, wrapped as a subquery and sent with the EXTENDED protocol (Parse/Bind/Execute
 *    of an unnamed statement, no parameters). The simple protocol runs `;`-separated statements one
 *    after the other, so `SELECT 1) q; DELETE …; SELECT * FROM (SELECT 1` would escape the wrapper;
 *    a Parse message takes exactly one statement ("cannot insert multiple commands into a prepared
 *    statement"). As a subquery it must be a SELECT (or VALUES / TABLE / WITH … SELECT): a
 *    data-modifying WITH is refused there too. First with `LIMIT 0` (columns and their types, no
 *    rows fetched), then as `to_jsonb` of each row with `LIMIT cap + 1` (values as Postgres writes
 *    JSON: numerics exact, timestamps ISO).
 * 5. ROLLBACK (the role and settings end with it), then `pg_advisory_unlock_all()`: a session-level
 *    advisory lock taken by the query would otherwise outlive it on the pooled connection. A
 *    connection whose clean-up fails is destroyed, never returned to the pool.
 */

/** How long and how much an admin's query may take. */
export interface ExecutionLimits {
  /** statement_timeout of each statement, in ms. */
  timeoutMs: number;
  /** Rows beyond this refuse the run (`sql_too_many_rows`). */
  rowCap: number;
}

export interface ResultColumn {
  name: string;
  /** Postgres type name (format_type), e.g. `numeric`, `text`, `timestamp with time zone`. */
  type: string;
}

export interface ExecutedQuery {
  columns: ResultColumn[];
  /** Each row as a JSON object (to_jsonb), at most `rowCap` of them. */
  rows: Record<string, unknown>[];
}

/** What `availability` found; `problem` is set when SQL traits cannot run safely here. */
export interface ReaderAvailability {
  problem?: string;
}

interface PgField {
  name: string;
  dataTypeID: number;
}
interface PgResult {
  fields: PgField[];
  rows: Record<string, unknown>[];
}
interface PgClient {
  query(config: string | { text: string; values?: unknown[]; queryMode?: 'extended' }, values?: unknown[]): Promise<PgResult>;
}
type Release = (error?: unknown) => void;
interface PostgresDriverLike {
  obtainMasterConnection(): Promise<[PgClient, Release]>;
}

export const SEARCH_PATH = 'sql_traits, pg_catalog, pg_temp';
const SUBQUERY_PREFIX = 'SELECT * FROM (\n';
const ROWS_PREFIX = 'SELECT to_jsonb(sql_trait_query) AS "row" FROM (\n';

/** The statement that describes the admin's query (columns, no rows); `offset` locates the admin's text in it. */
export function describeStatement(sql: string): { text: string; offset: number } {
  return { text: `${SUBQUERY_PREFIX}${sql}\n) AS sql_trait_query LIMIT 0`, offset: SUBQUERY_PREFIX.length };
}

/** The statement that reads the rows, one more than the cap so an overflow is seen. */
export function rowsStatement(sql: string, rowCap: number): { text: string; offset: number } {
  if (!Number.isSafeInteger(rowCap) || rowCap < 1) throw new RangeError(`rowCap must be a positive integer, got ${rowCap}`);
  return { text: `${ROWS_PREFIX}${sql}\n) AS sql_trait_query LIMIT ${rowCap + 1}`, offset: ROWS_PREFIX.length };
}

/**
 * Whether the reader role exists, the app may become it, it holds no other role, is no superuser,
 * can use the views' schema, and cannot run set_config. Any "no" is a reason SQL traits answer 503.
 */
export async function availability(dataSource: DataSource): Promise<ReaderAvailability> {
  const sql = `SELECT r.oid IS NOT NULL AS "exists",
            coalesce(r.rolsuper OR r.rolbypassrls, false) AS "privileged",
            CASE WHEN r.oid IS NULL THEN false ELSE pg_has_role(current_user, r.oid, 'MEMBER') END AS "canBecome",
            EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS "inheritsRoles",
            CASE WHEN r.oid IS NULL THEN false ELSE has_schema_privilege(r.oid, 'sql_traits', 'USAGE') END AS "usesViews",
            CASE WHEN r.oid IS NULL THEN true ELSE has_function_privilege(r.oid, 'pg_catalog.set_config(text, text, boolean)', 'EXECUTE') END AS "canSetConfig"
       FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1`;
  const [row]: {
    exists: boolean;
    privileged: boolean;
    canBecome: boolean;
    inheritsRoles: boolean;
    usesViews: boolean;
    canSetConfig: boolean;
  }[] = await dataSource.query(sql, [SQL_TRAITS_READER_ROLE]);
  const role = SQL_TRAITS_READER_ROLE;
  if (!row.exists)
    return {
      problem: `the database role ${role} does not exist: the app's database user needs CREATEROLE, or an operator creates it (libs/sql-traits README)`,
    };
  if (row.privileged || row.inheritsRoles)
    return { problem: `the database role ${role} is a superuser, bypasses RLS or holds other roles: refused` };
  if (!row.canBecome) return { problem: `the app's database user is not a member of ${role} (GRANT ${role} TO <app user>)` };
  if (!row.usesViews) return { problem: `${role} has no USAGE on the schema sql_traits (re-run the grants of migration 1796700200000)` };
  if (row.canSetConfig)
    return {
      problem: `${role} may execute pg_catalog.set_config, which would undo SET ROLE (REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC)`,
    };
  return {};
}

/**
 * Runs `sql` as the reader (see the file comment). `describeOnly` stops after the columns (a save's
 * validation). Throws a SqlTraitsException naming the problem for anything the query does wrong.
 */
export async function executeReadOnly(
  dataSource: DataSource,
  sql: string,
  limits: ExecutionLimits,
  options: { describeOnly?: boolean } = {},
): Promise<ExecutedQuery> {
  const driver = dataSource.driver as unknown as PostgresDriverLike;
  const [client, release] = await driver.obtainMasterConnection();
  const log = (text: string) => dataSource.logger.logQuery(text);
  const run = async (text: string, values?: unknown[]) => {
    log(text);
    return client.query(text, values);
  };
  let broken: unknown;
  try {
    await run('BEGIN READ ONLY');
    try {
      await run(
        `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true), set_config('search_path', $3, true)`,
        [String(limits.timeoutMs), String(limits.timeoutMs * 2), SEARCH_PATH],
      );
      await run(`SET LOCAL ROLE ${SQL_TRAITS_READER_ROLE}`);
      await run('SAVEPOINT admin_text');
      let described: PgResult;
      try {
        described = await adminStatement(client, log, describeStatement(sql), sql, limits);
      } catch (error) {
        if (!(error instanceof SqlTraitsException && error.code === 'sql_syntax_error')) throw error;
        // The wrapper shifts what Postgres sees (`SELEC x FROM t` reads as a table named SELEC);
        // parsed alone, under EXPLAIN (planned, never run), the text gets its own position.
        await run('ROLLBACK TO SAVEPOINT admin_text');
        throw (await alone(client, log, sql, limits)) ?? error;
      }
      const types = await run(
        `SELECT t.oid::int AS "oid", format_type(t.oid, NULL) AS "name" FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])`,
        [[...new Set(described.fields.map((field) => field.dataTypeID))]],
      );
      const typeNames = new Map(types.rows.map((row) => [Number(row.oid), String(row.name)]));
      const columns = described.fields.map((field) => ({
        name: field.name,
        type: typeNames.get(field.dataTypeID) ?? `oid ${field.dataTypeID}`,
      }));
      if (options.describeOnly) return { columns, rows: [] };
      const result = await adminStatement(client, log, rowsStatement(sql, limits.rowCap), sql, limits);
      if (result.rows.length > limits.rowCap)
        throw new SqlTraitsException(
          'sql_too_many_rows',
          `the query returned more than the row cap of ${limits.rowCap} rows (aggregate, filter, or raise AK_SQL_TRAITS_ROW_CAP)`,
          [{ path: 'sql', message: `more than ${limits.rowCap} rows` }],
          { rowCap: limits.rowCap },
        );
      return { columns, rows: result.rows.map((row) => row.row as Record<string, unknown>) };
    } finally {
      try {
        await run('ROLLBACK');
      } catch (error) {
        broken = error;
      }
    }
  } finally {
    if (!broken) {
      try {
        await run('SELECT pg_advisory_unlock_all()');
      } catch (error) {
        broken = error;
      }
    }
    release(broken ?? undefined);
  }
}

const EXPLAIN_PREFIX = 'EXPLAIN (COSTS OFF) ';

/** The syntax error of the admin's text parsed on its own, if it has one. */
async function alone(
  client: PgClient,
  log: (text: string) => void,
  sql: string,
  limits: ExecutionLimits,
): Promise<SqlTraitsException | undefined> {
  const text = `${EXPLAIN_PREFIX}${sql}`;
  log(text);
  try {
    await client.query({ text, queryMode: 'extended' });
    return undefined;
  } catch (error) {
    if (!isPostgresError(error) || error.code !== '42601') return undefined;
    return toSqlTraitError(error, { offset: EXPLAIN_PREFIX.length, sql }, limits.timeoutMs);
  }
}

/** One statement of the admin's text, extended protocol, its errors mapped to the admin's problem. */
async function adminStatement(
  client: PgClient,
  log: (text: string) => void,
  statement: { text: string; offset: number },
  sql: string,
  limits: ExecutionLimits,
): Promise<PgResult> {
  log(statement.text);
  try {
    return await client.query({ text: statement.text, queryMode: 'extended' });
  } catch (error) {
    if (isPostgresError(error)) throw toSqlTraitError(error, { offset: statement.offset, sql }, limits.timeoutMs);
    throw error;
  }
}

function isPostgresError(error: unknown): error is PostgresErrorLike {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as unknown as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
