import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { ExportIdentifier, insertExportAudit, membersCsvCopySql } from './segment-export.repository';
import { SegmentsService } from './segments.service';

/**
 * The member export: a segment's current members with the identifiers asked for, as CSV that
 * Postgres writes (`COPY … TO STDOUT`) and this process only passes on, chunk by chunk, so memory
 * stays flat whatever the segment's size. The export is audited before the first byte.
 */
@Injectable()
export class SegmentExportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
  ) {}

  /**
   * The CSV stream; its connection goes back to the pool when the stream ends, fails or is destroyed
   * (a client that hangs up destroys it).
   * @throws {SegmentsException} `segment_not_found`.
   */
  async membersCsv(
    segmentId: string,
    identifiers: readonly ExportIdentifier[],
    audit: { actorKeyId: string | null; via: string },
  ): Promise<Readable> {
    const segment = await this.segments.findLive(this.dataSource.manager, segmentId);
    await insertExportAudit(this.dataSource.manager, { ...audit, segmentId: segment.id, identifiers });
    // A connection of the pool of its own: a COPY cut short (the client hung up) leaves it
    // mid-protocol, so it is destroyed then, never handed back for reuse.
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const client = await pool.connect();
    let ended = false;
    let released = false;
    const release = (destroy: boolean) => {
      if (released) return;
      released = true;
      client.release(destroy);
    };
    try {
      const stream = client.query(copyTo(membersCsvCopySql(segment.id, identifiers)));
      stream.once('end', () => {
        ended = true;
        release(false);
      });
      stream.once('error', () => release(true));
      stream.once('close', () => release(!ended));
      return stream;
    } catch (error) {
      release(true);
      throw error;
    }
  }
}
