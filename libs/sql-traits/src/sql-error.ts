import { SqlTraitsException } from './sql-traits.exception';

/** The parts of a Postgres error (node-postgres `DatabaseError`) this mapping reads. */
export interface PostgresErrorLike {
  code?: string;
  message: string;
  position?: string;
}

/** Where the admin's text sits inside the statement actually sent (the wrapper around it). */
export interface WrappedText {
  /** Characters before the admin's text. */
  offset: number;
  /** The admin's text. */
  sql: string;
}

/** A 1-based character position of `text` as line and column (both 1-based). */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, position - 1));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** The first word of the text, past whitespace and comments. */
export function firstWordOf(sql: string): string | undefined {
  return sql.replace(/^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '').match(/^[A-Za-z]+/)?.[0];
}

const NOT_SELECT_WORDS =
  /^(insert|update|delete|merge|create|drop|alter|truncate|copy|grant|revoke|set|reset|call|do|begin|commit|rollback|vacuum|analyze|lock|listen|notify|prepare|execute|discard|comment|refresh|reindex|cluster|security|import|load|explain)$/i;

/**
 * Turns a Postgres error raised by the admin's query into a SqlTraitsException naming the problem:
 * a syntax error with its position in the admin's own text (not the wrapper's), an unknown
 * identifier by name, a permission error as "only the documented views are readable", a timeout
 * with its limit. Anything not recognised is `sql_query_failed` with Postgres's message (never a 500:
 * the query is the admin's, so its failure is the admin's to fix).
 *
 * @example
 * toSqlTraitError({ code: '42703', message: 'column "ltv" does not exist' }, { offset: 15, sql }, 5000)
 * // SqlTraitsException sql_unknown_identifier: unknown identifier "ltv" (column "ltv" does not exist)
 */
export function toSqlTraitError(error: PostgresErrorLike, wrapped: WrappedText, timeoutMs: number): SqlTraitsException {
  const code = error.code ?? '';
  const message = error.message;
  if (code === '42601' && /cannot insert multiple commands into a prepared statement/.test(message))
    return new SqlTraitsException('sql_not_a_select', 'only one SELECT is accepted: the text holds several statements');
  if (code === '42601') {
    const position = positionInAdminText(error.position, wrapped);
    const where = position === undefined ? undefined : { position, ...lineAndColumn(wrapped.sql, position) };
    const firstWord = firstWordOf(wrapped.sql);
    if (firstWord && NOT_SELECT_WORDS.test(firstWord))
      return new SqlTraitsException(
        'sql_not_a_select',
        `only one SELECT is accepted, not ${firstWord.toUpperCase()}`,
        [{ path: 'sql', message }],
        where,
      );
    if (position !== undefined && wrapped.sql[position - 1] === ';' && wrapped.sql.slice(position).trim() !== '')
      return new SqlTraitsException(
        'sql_not_a_select',
        `only one SELECT is accepted: the ';' at line ${where?.line}, column ${where?.column} starts another statement`,
        [{ path: 'sql', message }],
        where,
      );
    if (position !== undefined && position > wrapped.sql.length)
      return new SqlTraitsException(
        'sql_syntax_error',
        `syntax error at the end of the query (line ${where?.line}, column ${where?.column}, character ${position}): the query is incomplete`,
        [{ path: 'sql', message }],
        where,
      );
    const at = where ? ` at line ${where.line}, column ${where.column} (character ${where.position})` : '';
    return new SqlTraitsException('sql_syntax_error', `syntax error${at}: ${message}`, [{ path: 'sql', message }], where);
  }
  if (['42703', '42P01', '42883', '42704', '3F000', '42P10'].includes(code)) {
    const name = identifierIn(message);
    return new SqlTraitsException(
      'sql_unknown_identifier',
      `unknown identifier ${name ?? ''}`.trim() + ` (${message}); the views are profiles, identities, events and memberships`,
      [{ path: 'sql', message }],
      name ? { identifier: name } : undefined,
    );
  }
  if (code === '42501')
    return new SqlTraitsException(
      'sql_permission_denied',
      `only the documented views are readable (profiles, identities, events, memberships): ${message}`,
      [{ path: 'sql', message }],
    );
  if (code === '25006' || (code === '0A000' && /data-modifying|WITH clause containing/i.test(message)))
    return new SqlTraitsException('sql_not_a_select', `only a SELECT that reads is accepted: ${message}`, [{ path: 'sql', message }]);
  if (code === '57014' || code === '55P03' || code === '25P03')
    return new SqlTraitsException('sql_timeout', `the query ran longer than ${timeoutMs} ms and was stopped`, [{ path: 'sql', message }], {
      timeoutMs,
    });
  return new SqlTraitsException(
    'sql_query_failed',
    `the query failed: ${message}`,
    [{ path: 'sql', message }],
    code ? { sqlState: code } : undefined,
  );
}

function positionInAdminText(raw: string | undefined, wrapped: WrappedText): number | undefined {
  if (!raw) return undefined;
  const position = Number(raw) - wrapped.offset;
  if (!Number.isFinite(position)) return undefined;
  return Math.min(Math.max(position, 1), wrapped.sql.length + 1);
}

/** The quoted name in "column "x" does not exist", "relation "public.api_keys" does not exist", "function f(integer) does not exist". */
function identifierIn(message: string): string | undefined {
  const quoted = message.match(/"([^"]+)"/);
  if (quoted) return quoted[1];
  const fn = message.match(/^function (\S+?\([^)]*\)) does not exist/);
  return fn?.[1];
}
