import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SegmentRunEntity } from '@audiencekit/persistence';
import { AnalyticsDatabase } from '@audiencekit/server-core';
import { SegmentDefinitionGate } from './segment-definition.gate';
import {
  countMembersAsOf,
  currentSize,
  findRunOf,
  membersAsOfPage,
  membershipChangesPage,
  overlapCounts,
  previewSample,
  previewSize,
  runsPage,
  versionInForce,
} from './segment-membership.repository';
import { findVersion } from './segments.repository';
import { SegmentsService } from './segments.service';

export interface MemberAsOf {
  profileId: string;
  /** When the run that added this member ran, and with which version: the "why". */
  enteredAt: Date;
  runId: string;
  version: number;
}

/** One entry or exit of the live feed; `runId` is null for a change real time made. */
export interface MembershipChangeView {
  id: number;
  profileId: string;
  change: 'added' | 'removed';
  cause: 'realtime' | 'refresh';
  runId: string | null;
  version: number;
  changedAt: Date;
}

/** Reads of membership: preview, run history, who was a member at a time, the change feed, overlap. */
@Injectable()
export class SegmentMembershipService {
  /** The analytics pool (DatabaseModule provides it); tests that build the service by hand use their data source. */
  private readonly analytics: Pick<AnalyticsDatabase, 'run'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
    private readonly definitions: SegmentDefinitionGate,
    @Optional() analytics?: AnalyticsDatabase,
  ) {
    this.analytics = analytics ?? { run: (work) => work(dataSource.manager) };
  }

  /**
   * Size and a sample of a definition's members, computed in Postgres and saved nowhere — on the
   * analytics pool (bounded, with a statement timeout), never on the pool tracking needs.
   */
  async preview(rawDefinition: unknown, sampleSize = 10, now = new Date()): Promise<{ size: number; sample: string[] }> {
    const definition = this.definitions.parse(rawDefinition);
    const query = this.definitions.compile(definition, now);
    return this.analytics.run(async (manager) => ({
      size: await previewSize(manager, query),
      sample: await previewSample(manager, query, sampleSize),
    }));
  }

  async runs(segmentId: string, page: { limit: number; offset: number }): Promise<{ items: SegmentRunEntity[]; total: number }> {
    await this.segments.findLive(this.dataSource.manager, segmentId);
    const [items, total] = await runsPage(this.dataSource.manager, segmentId, page);
    return { items, total };
  }

  async run(segmentId: string, runId: string): Promise<SegmentRunEntity | null> {
    return findRunOf(this.dataSource.manager, segmentId, runId);
  }

  /**
   * Members at time `asOf`, rebuilt from the stored adds/removes (the latest change of each profile
   * at or before `asOf` is an add), with the version whose run put them there.
   */
  async membersAsOf(
    segmentId: string,
    asOf: Date,
    page: { limit: number; offset: number },
  ): Promise<{ asOf: Date; version: number | null; definition: Record<string, unknown> | null; total: number; items: MemberAsOf[] }> {
    const manager = this.dataSource.manager;
    await this.segments.findLive(manager, segmentId);
    const total = await countMembersAsOf(manager, segmentId, asOf);
    const rows = await membersAsOfPage(manager, segmentId, asOf, page);
    const version = await versionInForce(manager, segmentId, asOf);
    const definition = version === null ? null : ((await findVersion(manager, segmentId, version))?.definition ?? null);
    return {
      asOf,
      version,
      definition,
      total,
      items: rows.map((row) => ({ profileId: row.profile_id, enteredAt: row.changed_at, runId: row.run_id, version: row.version })),
    };
  }

  /**
   * The live feed: a segment's latest entries and exits, newest first (or the first `limit` after
   * change id `after`, for polling), with its current size read in the same snapshot, so the size
   * and the changes agree. Ids are taken at insert and commits land in any order (two real-time
   * workers write one segment under a shared lock), so a poller continuing `after` the highest id
   * can miss a change committed after a higher one was read: this is a feed to watch, not a
   * ledger (on-change activations read their own outbox); the size is always exact.
   */
  async changes(segmentId: string, page: { limit: number; after?: number }): Promise<{ size: number; items: MembershipChangeView[] }> {
    await this.segments.findLive(this.dataSource.manager, segmentId);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const rows = await membershipChangesPage(manager, segmentId, page);
      return {
        size: await currentSize(manager, segmentId),
        items: rows.map((row) => ({
          id: Number(row.id),
          profileId: row.profile_id,
          change: row.change,
          cause: row.cause,
          runId: row.run_id,
          version: row.version,
          changedAt: row.changed_at,
        })),
      };
    });
  }

  /** Current sizes of two segments and of their intersection (on the analytics pool). */
  async overlap(segmentId: string, otherId: string): Promise<{ size: number; otherSize: number; intersection: number }> {
    await this.segments.findLive(this.dataSource.manager, segmentId);
    await this.segments.findLive(this.dataSource.manager, otherId);
    return this.analytics.run((manager) => overlapCounts(manager, segmentId, otherId));
  }
}
