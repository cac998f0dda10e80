import { resolveWindow } from '../rules/window';

/** What every SQL builder of this library returns. */
export interface CompiledSql {
  /** One SELECT returning a `profile_id` column: the members. */
  text: string;
  /** Bind values for `$1..$n`; no value is ever spliced into `text`. */
  values: unknown[];
}

/** Collects bind values; `bind` returns the placeholder. Nothing user-supplied is ever spliced into SQL text. */
export class SqlParameters {
  readonly values: unknown[] = [];
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `e.timestamp` inside the window resolved at `now` (bounds as in rules windows). */
export function windowSql(window: string, now: Date, params: SqlParameters, column = 'e.timestamp'): string {
  const resolved = resolveWindow(window, now);
  const tests: string[] = [];
  if (resolved.start !== null)
    tests.push(`${column} ${resolved.startInclusive ? '>=' : '>'} ${params.bind(new Date(resolved.start).toISOString())}::timestamptz`);
  tests.push(`${column} ${resolved.endInclusive ? '<=' : '<'} ${params.bind(new Date(resolved.end).toISOString())}::timestamptz`);
  return tests.join(' AND ');
}
