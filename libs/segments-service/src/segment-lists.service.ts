import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ListDefinition, parseSegmentDefinition } from '@audiencekit/segments-domain';
import { isUuid } from '@audiencekit/util';
import { InvalidListLine, ListTooLargeError, readListUpload } from './list-upload';
import { SegmentRefreshService } from './segment-refresh.service';
import { insertListEntries, unmatchedListValues } from './segment-lists.repository';
import { SegmentsException } from './segments.exception';
import { findLiveSegment, findVersion, insertVersion, saveSegment } from './segments.repository';
import { segmentNotFound } from './segments.service';

/** At most this many lines of each kind are listed in a report (the counts are exact). */
export const LIST_REPORT_LINES = 1_000;

export interface ListUploadReport {
  segmentId: string;
  /** The version the upload created (its definition is unchanged; its identifiers are the upload's). */
  version: number;
  /** The refresh queued to apply it; null when it could not be queued (the next refresh applies it). */
  runId: string | null;
  lines: number;
  /** Distinct valid identifiers stored with the version. */
  identifiers: number;
  duplicates: number;
  matched: number;
  unmatched: { count: number; lines: { line: number; value: string }[] };
  invalid: { count: number; lines: InvalidListLine[] };
}

/**
 * Static list segments: an uploaded CSV of emails, phones or user ids becomes a new version whose
 * identifiers (normalised like ingestion) are stored in `segment_list_entries`; the refresh queued
 * after it computes the members by joining them to identities, so profiles that appear later
 * join at the next refresh. The report says which lines matched no profile and which were invalid.
 */
@Injectable()
export class SegmentListsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly refresh: SegmentRefreshService,
  ) {}

  /**
   * @throws {SegmentsException} `segment_not_found`, `not_a_list_segment` (400), `invalid_list_csv`
   *   (400: unreadable CSV), `list_too_large` (400), `empty_list` (400: no line at all).
   */
  async upload(
    segmentId: string,
    body: AsyncIterable<Buffer | string>,
    options: { defaultCountry?: string; actor: string | null },
  ): Promise<ListUploadReport> {
    const definition = await this.listDefinition(segmentId);
    const parsed = await readOrRefuse(body, definition, options.defaultCountry);
    if (parsed.lines === 0)
      throw new SegmentsException('empty_list', 'the upload has no identifier lines', [{ path: 'body', message: 'has no lines' }]);
    const values = [...parsed.firstLineOf.keys()];
    const { version, unmatched } = await this.dataSource.transaction(async (manager) => {
      const segment = await findLiveSegment(manager, segmentId, { lock: true });
      if (!segment) throw segmentNotFound(segmentId);
      segment.currentVersion += 1;
      await insertVersion(manager, {
        segmentId,
        version: segment.currentVersion,
        definition: { ...definition },
        model: null,
        createdBy: options.actor,
      });
      await saveSegment(manager, segment);
      await insertListEntries(manager, segmentId, segment.currentVersion, values);
      return {
        version: segment.currentVersion,
        unmatched: await unmatchedListValues(manager, segmentId, segment.currentVersion, definition.identifierType),
      };
    });
    const run = await this.refresh.requestRefresh(segmentId, 'list_upload');
    const unmatchedLines = unmatched.map((value) => ({ line: parsed.firstLineOf.get(value) ?? 0, value })).sort((a, b) => a.line - b.line);
    return {
      segmentId,
      version,
      runId: run?.id ?? null,
      lines: parsed.lines,
      identifiers: values.length,
      duplicates: parsed.duplicates,
      matched: values.length - unmatched.length,
      unmatched: { count: unmatched.length, lines: unmatchedLines.slice(0, LIST_REPORT_LINES) },
      invalid: { count: parsed.invalid.length, lines: parsed.invalid.slice(0, LIST_REPORT_LINES) },
    };
  }

  private async listDefinition(segmentId: string): Promise<ListDefinition> {
    const manager = this.dataSource.manager;
    const segment = isUuid(segmentId) ? await findLiveSegment(manager, segmentId) : null;
    if (!segment) throw segmentNotFound(segmentId);
    const row = await findVersion(manager, segmentId, segment.currentVersion);
    const definition = row ? parseSegmentDefinition(row.definition) : null;
    if (definition?.type !== 'list')
      throw new SegmentsException(
        'not_a_list_segment',
        `segment ${segment.key} is a ${definition?.type} segment; lists are uploaded to list segments`,
        [{ path: 'definition.type', message: `is "${definition?.type}", not "list"` }],
      );
    return definition;
  }
}

async function readOrRefuse(body: AsyncIterable<Buffer | string>, definition: ListDefinition, defaultCountry?: string) {
  try {
    return await readListUpload(body, definition.identifierType, defaultCountry);
  } catch (error) {
    if (error instanceof ListTooLargeError)
      throw new SegmentsException('list_too_large', error.message, [{ path: 'body', message: `is over ${error.limit}` }]);
    const csv = error as { code?: unknown; lines?: unknown; message?: string };
    if (typeof csv.code === 'string' && csv.code.startsWith('CSV_'))
      throw new SegmentsException('invalid_list_csv', `the upload is not readable CSV: ${csv.message}`, [
        { path: 'body', message: `line ${String(csv.lines ?? '?')}: ${csv.message}` },
      ]);
    throw error;
  }
}
