import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { SingleBar } from 'cli-progress';
import { IngestionService, parseIsoTimestamp, parseTrackingMessage, TrackingEvent } from '@audiencekit/ingestion';
import { ColumnMap, normaliseHeader } from './csv-columns';
import { csvRecords, splitFields } from './csv-records';
import { customerColumns, customerRow } from './customers.mapping';
import { orderColumns, orderRow } from './orders.mapping';
import { RowOutcome } from './row-outcome';

export type ImportKind = 'customers' | 'orders';

export interface ImportOptions {
  kind: ImportKind;
  file: string;
  /** Events per ingestion call (one transaction each). */
  batchSize?: number;
  /** Show a progress bar (the CLI passes stdout.isTTY). */
  progress?: boolean;
  /** Called for every rejected row (the summary keeps only the first MAX_KEPT_REJECTIONS). */
  onRejected?: (line: number, reason: string) => void;
  now?: Date;
  /** Bytes one row may take (default `MAX_ROW_BYTES`); a longer row is rejected without being held in memory. */
  maxRowBytes?: number;
  /**
   * The header of a column holding when each customer was first seen (ISO 8601 date or date-time):
   * the profile's first-seen time becomes the earliest of it and its events (`--first-seen-column`).
   * Without it, a profile is first seen at its earliest event, for a customers file the import time.
   */
  firstSeenColumn?: string;
}

/**
 * Default bound of one row: 1 MiB, thirty times the 32 KB a message may take once mapped (a row
 * that long is rejected by that limit anyway), and what bounds the importer's memory per row.
 */
export const MAX_ROW_BYTES = 1024 * 1024;

export interface ImportSummary {
  file: string;
  kind: ImportKind;
  /** Data rows (the header is not counted). */
  rowsRead: number;
  /** Rows that became events (stored now, or already stored by an earlier import). */
  imported: number;
  /** Imported rows per event name. */
  byEvent: Record<string, number>;
  skipped: { count: number; reasons: Record<string, number> };
  /** All rejected rows are counted; the first 1,000 are kept with their line number and reason. */
  rejected: { count: number; rows: { line: number; reason: string }[] };
  stored: number;
  alreadyStored: number;
  /** Identifiers the merge caps refused to attach or merge. */
  refusals: number;
  seconds: number;
}

const MAX_KEPT_REJECTIONS = 1_000;

/** Thrown when the file cannot be imported at all (unreadable, or a header without the needed columns). */
export class ImportFileException extends Error {}

const KINDS: Record<
  ImportKind,
  { columns: (header: string[]) => ColumnMap | string; row: (values: string[], columns: ColumnMap, now: Date) => RowOutcome }
> = {
  customers: { columns: customerColumns, row: customerRow },
  orders: { columns: orderColumns, row: (values, columns) => orderRow(values, columns) },
};

/**
 * Streams a CSV file into the ingestion service: rows are read one at a time (`csvRecords`, at most
 * `maxRowBytes` each), decoded as strict UTF-8, mapped to Segment-spec calls, validated by the same
 * parser as the HTTP API, and written in batches through IngestionService (stitching, dedupe, one
 * transaction per batch). Memory stays flat whatever the file and its rows. A row too long, not
 * UTF-8 or not readable as CSV is rejected with its line number and the import goes on. Message ids
 * derive from the row content (and its occurrence, for exact duplicate rows), so importing the same
 * file twice stores nothing new.
 */
export async function importCsv(ingestion: IngestionService, options: ImportOptions): Promise<ImportSummary> {
  const started = process.hrtime.bigint();
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 1_000;
  const kind = KINDS[options.kind];
  const summary: ImportSummary = {
    file: options.file,
    kind: options.kind,
    rowsRead: 0,
    imported: 0,
    byEvent: {},
    skipped: { count: 0, reasons: {} },
    rejected: { count: 0, rows: [] },
    stored: 0,
    alreadyStored: 0,
    refusals: 0,
    seconds: 0,
  };
  const reject = (line: number, reason: string) => {
    summary.rejected.count += 1;
    if (summary.rejected.rows.length < MAX_KEPT_REJECTIONS) summary.rejected.rows.push({ line, reason });
    options.onRejected?.(line, reason);
  };

  const size = statSync(options.file).size;
  const bar = options.progress
    ? new SingleBar({ format: '{bar} {percentage}% | {rows} rows | {eta_formatted} left', hideCursor: true })
    : undefined;
  bar?.start(size, 0, { rows: 0 });
  const maxRowBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
  // Fatal: a byte sequence that is not UTF-8 rejects its row instead of becoming U+FFFD silently.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  let columns: ColumnMap | undefined;
  let header: string[] = [];
  let firstSeenIndex = -1;
  const occurrences = new Map<string, number>();
  let batch: TrackingEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await ingestion.ingest(batch);
    summary.stored += result.stored;
    summary.alreadyStored += result.duplicates;
    summary.refusals += result.refusals.length;
    batch = [];
  };

  for await (const row of csvRecords(createReadStream(options.file), maxRowBytes)) {
    const line = row.line;
    if (row.kind === 'too_long') {
      if (!columns) throw new ImportFileException(`the header row is longer than ${maxRowBytes} bytes`);
      summary.rowsRead += 1;
      reject(line, `the row is longer than ${maxRowBytes} bytes (${row.length} bytes): not read`);
      continue;
    }
    const text = decodeRow(utf8, row.bytes, !columns);
    if (text === '' || text === '\r') continue;
    if (text === null) {
      if (!columns) throw new ImportFileException('the header row is not valid UTF-8 text: save the file as UTF-8');
      summary.rowsRead += 1;
      reject(line, 'the row is not valid UTF-8 text: save the file as UTF-8');
      continue;
    }
    const record = splitFields(text);
    if (!Array.isArray(record)) {
      if (!columns) throw new ImportFileException(`the header row is not readable as CSV: ${record.problem}`);
      summary.rowsRead += 1;
      reject(line, `not readable as CSV: ${record.problem}`);
      continue;
    }
    if (!columns) {
      header = record;
      const mapped = kind.columns(header);
      if (typeof mapped === 'string') {
        bar?.stop();
        throw new ImportFileException(mapped);
      }
      columns = mapped;
      firstSeenIndex = firstSeenColumnIndex(header, options.firstSeenColumn);
      continue;
    }
    summary.rowsRead += 1;
    if (record.length !== header.length) {
      reject(line, `expected ${header.length} fields, found ${record.length}`);
      continue;
    }
    const firstSeen = firstSeenIndex >= 0 ? firstSeenCell(record[firstSeenIndex], header[firstSeenIndex]) : undefined;
    const outcome = typeof firstSeen === 'string' ? { kind: 'rejected' as const, reason: firstSeen } : kind.row(record, columns, now);
    if (outcome.kind === 'rejected') reject(line, outcome.reason);
    else if (outcome.kind === 'skipped') {
      summary.skipped.count += 1;
      summary.skipped.reasons[outcome.reason] = (summary.skipped.reasons[outcome.reason] ?? 0) + 1;
    } else {
      const content = createHash('sha256').update(JSON.stringify(record)).digest('base64url').slice(0, 32);
      const occurrence = (occurrences.get(content) ?? 0) + 1;
      occurrences.set(content, occurrence);
      const parsed = parseTrackingMessage(
        { ...outcome.message, messageId: `import-${options.kind}-${content}-${occurrence}` },
        outcome.type,
        { receivedAt: now, checkSize: true },
      );
      if (!parsed.ok) {
        reject(line, parsed.errors.map((error) => `${error.path || 'row'} ${error.message}`).join('; '));
        continue;
      }
      if (firstSeen instanceof Date) parsed.event.firstSeenAt = firstSeen;
      summary.imported += 1;
      const name = parsed.event.name ?? parsed.event.type;
      summary.byEvent[name] = (summary.byEvent[name] ?? 0) + 1;
      batch.push(parsed.event);
      if (batch.length >= batchSize) await flush();
    }
    if (bar && summary.rowsRead % 500 === 0) bar.update(row.bytesRead, { rows: summary.rowsRead.toLocaleString('en-US') });
  }
  if (!columns) throw new ImportFileException('the file is empty: a header row is needed');
  await flush();
  bar?.update(size, { rows: summary.rowsRead.toLocaleString('en-US') });
  bar?.stop();
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}

/** The index of the first-seen column (exact header, else the same normalised name), or -1 without one. */
function firstSeenColumnIndex(header: string[], column: string | undefined): number {
  if (column === undefined) return -1;
  const exact = header.indexOf(column);
  const index = exact >= 0 ? exact : header.findIndex((name) => normaliseHeader(name) === normaliseHeader(column));
  if (index < 0) throw new ImportFileException(`--first-seen-column "${column}" is not a column of the file; found: ${header.join(', ')}`);
  return index;
}

/** A first-seen cell: a date (empty: none), or why the row is rejected. */
function firstSeenCell(text: string | undefined, column: string): Date | undefined | string {
  const value = (text ?? '').trim();
  if (value === '') return undefined;
  return parseIsoTimestamp(value) ?? `the first-seen time ${JSON.stringify(value)} (column ${column}) is not an ISO 8601 date or date-time`;
}

/** A row's text, or null when it is not UTF-8; the file's first row loses its byte order mark. */
function decodeRow(decoder: TextDecoder, bytes: Buffer, first: boolean): string | null {
  try {
    const text = decoder.decode(bytes);
    return first && text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch {
    return null;
  }
}

/** The summary as ops read it: counts, then the first rejected rows with their line numbers. */
export function formatSummary(summary: ImportSummary, maxRejected = 20): string {
  const number = (value: number) => value.toLocaleString('en-US').padStart(10);
  const lines = [
    `imported ${summary.kind} from ${summary.file} in ${summary.seconds.toFixed(1)} s`,
    `  rows read      ${number(summary.rowsRead)}`,
    `  imported       ${number(summary.imported)}${
      Object.keys(summary.byEvent).length
        ? `   (${Object.entries(summary.byEvent)
            .map(([name, count]) => `${name} ${count.toLocaleString('en-US')}`)
            .join(', ')})`
        : ''
    }`,
    `  skipped        ${number(summary.skipped.count)}${
      Object.keys(summary.skipped.reasons).length
        ? `   (${Object.entries(summary.skipped.reasons)
            .map(([reason, count]) => `${reason}: ${count.toLocaleString('en-US')}`)
            .join(', ')})`
        : ''
    }`,
    `  rejected       ${number(summary.rejected.count)}`,
    `  events stored  ${number(summary.stored)}   (already stored before: ${summary.alreadyStored.toLocaleString('en-US')})`,
  ];
  if (summary.refusals > 0) lines.push(`  identity merges refused by caps: ${summary.refusals.toLocaleString('en-US')} (see the log)`);
  if (summary.rejected.count > 0) {
    lines.push('rejected rows:');
    for (const row of summary.rejected.rows.slice(0, maxRejected)) lines.push(`  line ${row.line}: ${row.reason}`);
    if (summary.rejected.count > maxRejected)
      lines.push(`  … and ${(summary.rejected.count - maxRejected).toLocaleString('en-US')} more (--rejected-file writes them all)`);
  }
  return lines.join('\n');
}
