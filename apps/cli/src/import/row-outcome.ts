/** What one CSV row became. */
export type RowOutcome =
  | { kind: 'message'; type: 'identify' | 'track'; message: Record<string, unknown> }
  | { kind: 'rejected'; reason: string }
  | { kind: 'skipped'; reason: string };

export interface CsvRow {
  /** Line number in the file (1 is the header). */
  line: number;
  values: string[];
}
