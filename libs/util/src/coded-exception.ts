/** One offending input field: its JSON path (`rules.all[2].window.last`) and the reason. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The base of every library exception (`SegmentsException`, `SyncException`, …): a machine-readable
 * `code` from the library's own `XxxExceptionCode` union, a message for people, and optional
 * field details. Libraries say *what* went wrong; only the API decides *which HTTP status* that is
 * (apps/api maps every code, checked by the compiler), so the engine never speaks HTTP.
 */
export abstract class CodedException<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    message: string,
    readonly details?: readonly ErrorDetail[],
    /** Extra fields for the error body, e.g. `{ retryAfterSeconds: 30 }`. Never secrets or PII. */
    readonly extra?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Message text of anything thrown, for logs and error bodies. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
