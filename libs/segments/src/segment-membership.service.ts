import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SegmentRunEntity, SegmentVersionEntity } from '@audiencekit/persistence';
import { AnalyticsDatabase } from '@audiencekit/server-core';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { SegmentsService } from './segments.service';

export interface MemberAsOf {
  profileId: string;
  /** When the run that added this member ran, and with which version: the "why". */
  enteredAt: Date;
  runId: string;
  version: number;
}

/** Reads of membership: preview, run history, who was a member at a time, overlap. */
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
    return this.analytics.run(async (manager) => {
      const [{ size }] = await manager.query(`SELECT count(DISTINCT q.profile_id)::int AS size FROM (${query.text}) q`, query.values);
      const sample: { profile_id: string }[] = await manager.query(
        `SELECT DISTINCT q.profile_id FROM (${query.text}) q ORDER BY q.profile_id LIMIT ${Math.max(0, Math.min(100, Math.trunc(sampleSize)))}`,
        query.values,
      );
      return { size, sample: sample.map((row) => row.profile_id) };
    });
  }

  async runs(segmentId: string, page: { limit: number; offset: number }): Promise<{ items: SegmentRunEntity[]; total: number }> {
    await this.segments.findLive(this.dataSource.manager, segmentId);
    const [items, total] = await this.dataSource
      .getRepository(SegmentRunEntity)
      .findAndCount({ where: { segmentId }, order: { queuedAt: 'DESC' }, take: page.limit, skip: page.offset });
    return { items, total };
  }

  async run(segmentId: string, runId: string): Promise<SegmentRunEntity | null> {
    return this.dataSource.getRepository(SegmentRunEntity).findOneBy({ id: runId, segmentId });
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
    await this.segments.findLive(this.dataSource.manager, segmentId);
    const latest = `SELECT DISTINCT ON (profile_id) profile_id, change, changed_at, run_id, version
                    FROM segment_membership_changes WHERE segment_id = $1 AND changed_at <= $2
                    ORDER BY profile_id, changed_at DESC, id DESC`;
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM (${latest}) l WHERE l.change = 'added'`, [segmentId, asOf]);
    const rows: { profile_id: string; changed_at: Date; run_id: string; version: number }[] = await this.dataSource.query(
      `SELECT l.profile_id, l.changed_at, l.run_id, l.version FROM (${latest}) l WHERE l.change = 'added' ORDER BY l.profile_id LIMIT $3 OFFSET $4`,
      [segmentId, asOf, page.limit, page.offset],
    );
    const [inForce] = await this.dataSource.query(
      `SELECT version FROM segment_runs WHERE segment_id = $1 AND status = 'succeeded' AND finished_at <= $2 ORDER BY finished_at DESC LIMIT 1`,
      [segmentId, asOf],
    );
    const version: number | null = inForce?.version ?? null;
    const definition = version === null ? null : ((await this.dataSource.getRepository(SegmentVersionEntity).findOneBy({ segmentId, version }))?.definition ?? null);
    return {
      asOf,
      version,
      definition,
      total,
      items: rows.map((row) => ({ profileId: row.profile_id, enteredAt: row.changed_at, runId: row.run_id, version: row.version })),
    };
  }

  /** Current sizes of two segments and of their intersection (on the analytics pool). */
  async overlap(segmentId: string, otherId: string): Promise<{ size: number; otherSize: number; intersection: number }> {
    await this.segments.findLive(this.dataSource.manager, segmentId);
    await this.segments.findLive(this.dataSource.manager, otherId);
    const [row] = await this.analytics.run((manager) =>
      manager.query(
      `SELECT (SELECT count(*) FROM segment_memberships WHERE segment_id = $1)::int AS size,
              (SELECT count(*) FROM segment_memberships WHERE segment_id = $2)::int AS other_size,
              (SELECT count(*) FROM segment_memberships a JOIN segment_memberships b ON b.profile_id = a.profile_id AND b.segment_id = $2
                WHERE a.segment_id = $1)::int AS intersection`,
      [segmentId, otherId],
      ),
    );
    return { size: row.size, otherSize: row.other_size, intersection: row.intersection };
  }
}
