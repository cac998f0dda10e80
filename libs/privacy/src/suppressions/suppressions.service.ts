import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parse } from 'csv-parse';
import { DataSource, EntityManager } from 'typeorm';
import { SyncService } from '@audiencekit/activation-engine';
import { PrivacyException } from '../privacy.exception';
import { normalizeSuppressedValue, SuppressionAdd, SuppressionFilter, SuppressionListQuery, SuppressionRemove } from './suppression-input';
import { CsvHeader, csvRow, parseCsvLine, ParsedLine, readCsvHeader, SUPPRESSION_CSV_COLUMNS } from './suppressions-csv';
import {
  countSuppressions,
  deleteSuppression,
  exportPage,
  findSuppression,
  insertSuppressionAudit,
  insertSuppressions,
  listSuppressions,
  mirrorActivationsHolding,
  SuppressionRow,
} from './suppressions.repository';

/** A sync requested so a mirror activation drops people just suppressed (or who withdrew consent). */
export interface QueuedRemoval {
  activationId: string;
  syncRunId: string | null;
  note?: string;
}

export interface SuppressionPage {
  items: SuppressionRow[];
  total: number;
  /** Pass as `after` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface ImportReport {
  id: string;
  /** Data lines read (the header not counted). */
  lines: number;
  added: number;
  alreadySuppressed: number;
  /** Lines refused, with their line number in the file (the header is line 1); the first 1,000. */
  invalid: { line: number; reason: string }[];
  invalidCount: number;
  removals: QueuedRemoval[];
}

export interface ImportOptions {
  /** Reason for lines without one. */
  defaultReason: string;
  actorKeyId: string | null;
  /** Where the import came from, for the audit row (`api`, `cli`). */
  via: string;
}

const IMPORT_BATCH = 1_000;
const MAX_INVALID_REPORTED = 1_000;
const EXPORT_PAGE = 1_000;
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * The suppression list: identifiers never to contact, per channel or `all`. Every change writes an
 * audit row in its own transaction (whoever makes it: API, console or CLI), and adding people
 * requests a sync of each mirror activation holding them, whose diff removes them from the vendor
 * (the engine's removes phase reads the list). Lifting a suppression queues nothing: the next run
 * adds the person back if they are still a member.
 */
@Injectable()
export class SuppressionsService {
  private readonly logger = new Logger(SuppressionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncs: SyncService,
  ) {}

  async list(query: SuppressionListQuery): Promise<SuppressionPage> {
    const filter = normalizedFilter(query);
    const manager = this.dataSource.manager;
    const [items, total] = await Promise.all([
      listSuppressions(manager, filter, query.after ?? null, query.limit),
      countSuppressions(manager, filter),
    ]);
    return { items, total, nextCursor: items.length === query.limit ? items[items.length - 1].id : null };
  }

  /** Adds one entry (idempotent: `created` false when it was already there, reason unchanged). */
  async add(
    input: SuppressionAdd,
    actorKeyId: string | null,
  ): Promise<{ suppression: SuppressionRow; created: boolean; removals: QueuedRemoval[] }> {
    const changeId = randomUUID();
    const outcome = await this.dataSource.transaction(async (manager) => {
      const [inserted] = await insertSuppressions(manager, [input]);
      if (!inserted) return { suppression: await this.existing(manager, input), created: false, activationIds: [] as string[] };
      await insertSuppressionAudit(manager, 'suppression.added', inserted.id, actorKeyId, {
        changeId,
        ...keyOf(input),
        reason: input.reason,
      });
      return { suppression: inserted, created: true, activationIds: await mirrorActivationsHolding(manager, [input]) };
    });
    const removals = await this.requestRemovals(outcome.activationIds, changeId, actorKeyId);
    return { suppression: outcome.suppression, created: outcome.created, removals };
  }

  /** Lifts one entry; the reason goes to the audit log (404 `suppression_not_found`). */
  async remove(input: SuppressionRemove, actorKeyId: string | null): Promise<SuppressionRow> {
    return this.dataSource.transaction(async (manager) => {
      const removed = await deleteSuppression(manager, input);
      if (!removed)
        throw new PrivacyException(
          'suppression_not_found',
          `no suppression of ${input.identifierType} ${input.value} on channel ${input.channel}`,
          [{ path: 'value', message: 'is not suppressed on this channel' }],
        );
      await insertSuppressionAudit(manager, 'suppression.removed', removed.id, actorKeyId, {
        ...keyOf(input),
        reason: input.reason,
        suppressedFor: removed.reason,
      });
      return removed;
    });
  }

  /**
   * Imports a CSV stream (see suppressions-csv.ts) in one transaction: valid lines are added,
   * invalid ones reported by line number and skipped; a file that cannot be read as CSV at all
   * (no header, broken quoting, a record over 64 KB) is refused whole (`invalid_csv`, nothing
   * written). Memory stays flat: lines are read and inserted a thousand at a time.
   */
  async import(source: AsyncIterable<Buffer | string>, options: ImportOptions): Promise<ImportReport> {
    const report: ImportReport = { id: randomUUID(), lines: 0, added: 0, alreadySuppressed: 0, invalid: [], invalidCount: 0, removals: [] };
    const activationIds = new Set<string>();
    await this.dataSource.transaction(async (manager) => {
      let batch: ParsedLine[] = [];
      const flush = async () => {
        const inserted = await insertSuppressions(manager, batch);
        report.added += inserted.length;
        report.alreadySuppressed += batch.length - inserted.length;
        for (const id of await mirrorActivationsHolding(manager, inserted)) activationIds.add(id);
        batch = [];
      };
      for await (const line of this.parsedLines(source, options.defaultReason)) {
        report.lines += 1;
        if ('problem' in line) {
          report.invalidCount += 1;
          if (report.invalid.length < MAX_INVALID_REPORTED) report.invalid.push({ line: line.line, reason: line.problem });
          continue;
        }
        batch.push(line.parsed);
        if (batch.length >= IMPORT_BATCH) await flush();
      }
      await flush();
      await insertSuppressionAudit(manager, 'suppression.imported', report.id, options.actorKeyId, {
        via: options.via,
        lines: report.lines,
        added: report.added,
        alreadySuppressed: report.alreadySuppressed,
        invalid: report.invalidCount,
      });
    });
    report.removals = await this.requestRemovals([...activationIds], report.id, options.actorKeyId);
    return report;
  }

  /**
   * The list as CSV, header first, oldest first, one page of a thousand rows at a time (keyset):
   * the caller streams it out, so memory does not grow with the list.
   */
  async *exportCsv(filter: SuppressionFilter): AsyncGenerator<string> {
    const normalized = normalizedFilter(filter);
    yield csvRow(SUPPRESSION_CSV_COLUMNS);
    let after: string | null = null;
    for (;;) {
      const rows = await exportPage(this.dataSource.manager, normalized, after, EXPORT_PAGE);
      if (rows.length > 0)
        yield rows.map((row) => csvRow([row.identifierType, row.value, row.channel, row.reason, row.createdAt.toISOString()])).join('');
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  /** Records the export (who, which filter) in the audit log. */
  async auditExport(filter: SuppressionFilter, actorKeyId: string | null, via: string): Promise<void> {
    await insertSuppressionAudit(this.dataSource.manager, 'suppression.exported', null, actorKeyId, { via, filter });
  }

  private async *parsedLines(
    source: AsyncIterable<Buffer | string>,
    defaultReason: string,
  ): AsyncGenerator<{ line: number; parsed: ParsedLine } | { line: number; problem: string }> {
    const parser = Readable.from(source).pipe(
      parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: MAX_RECORD_BYTES }),
    );
    let header: CsvHeader | null = null;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (header === null) {
          const read = readCsvHeader(record);
          if ('problem' in read) throw new PrivacyException('invalid_csv', read.problem, [{ path: 'line 1', message: read.problem }]);
          header = read;
          continue;
        }
        const parsed = parseCsvLine(record, header, defaultReason);
        yield 'problem' in parsed ? { line: info.lines, problem: parsed.problem } : { line: info.lines, parsed };
      }
    } catch (error) {
      if (error instanceof PrivacyException) throw error;
      const line = (error as { lines?: number }).lines;
      const message = error instanceof Error ? error.message : String(error);
      throw new PrivacyException('invalid_csv', `the file is not readable CSV: ${message}`, [
        { path: line === undefined ? 'file' : `line ${line}`, message },
      ]);
    }
    if (header === null)
      throw new PrivacyException('invalid_csv', 'the file is empty: expected a header line', [
        { path: 'line 1', message: 'missing header' },
      ]);
  }

  private async existing(manager: EntityManager, input: SuppressionAdd): Promise<SuppressionRow> {
    return (await findSuppression(manager, input)) as SuppressionRow;
  }

  /**
   * One sync per activation, keyed by the change (`<trigger>:<changeId>`), so asking again for the
   * same change queues nothing twice.
   */
  async requestRemovals(
    activationIds: readonly string[],
    changeId: string,
    requestedBy: string | null,
    trigger = 'suppression',
  ): Promise<QueuedRemoval[]> {
    const removals: QueuedRemoval[] = [];
    for (const activationId of activationIds) {
      try {
        const run = await this.syncs.requestScheduled(activationId, {
          trigger,
          triggerKey: `${trigger}:${changeId}`,
          requestedBy,
        });
        removals.push({ activationId, syncRunId: run?.id ?? null });
      } catch (error) {
        // A paused or archived activation syncs nothing now: its next run removes the person.
        const note = error instanceof Error ? error.message : String(error);
        this.logger.warn({ changeId, activationId, note }, 'removal sync not requested');
        removals.push({ activationId, syncRunId: null, note });
      }
    }
    return removals;
  }
}

function keyOf(input: { identifierType: string; value: string; channel: string }) {
  return { identifierType: input.identifierType, value: input.value, channel: input.channel };
}

/** A value filter is normalised like ingestion when its type is known (`Ann@X.com` finds `ann@x.com`). */
function normalizedFilter<F extends SuppressionFilter>(filter: F): SuppressionFilter {
  const { channel, identifierType, reason, value, createdFrom, createdTo } = filter;
  if (value === undefined || identifierType === undefined) return { channel, identifierType, reason, value, createdFrom, createdTo };
  const normalized = normalizeSuppressedValue(identifierType, value);
  return { channel, identifierType, reason, value: 'problem' in normalized ? value : normalized.value, createdFrom, createdTo };
}
