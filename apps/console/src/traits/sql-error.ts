import { ApiError } from '../api-client';

/** Where a SQL mistake is in the admin's text (the API's 400 sql_syntax_error carries position, line, column). */
export interface SqlErrorPlace {
  line: number;
  column: number;
  position: number;
}

export function sqlErrorPlace(error: unknown): SqlErrorPlace | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const { line, column, position } = error.body as { line?: unknown; column?: unknown; position?: unknown };
  return typeof line === 'number' && typeof column === 'number' && typeof position === 'number' ? { line, column, position } : undefined;
}

/** The line of `sql` the error is on, and a caret under its column: what psql shows. */
export function caretLines(sql: string, place: SqlErrorPlace): { text: string; caret: string } | undefined {
  const text = sql.split('\n')[place.line - 1];
  if (text === undefined) return undefined;
  return { text, caret: `${' '.repeat(Math.max(0, place.column - 1))}^` };
}
