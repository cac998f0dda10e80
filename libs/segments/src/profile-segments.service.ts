import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { evaluateSegment, parseSegmentDefinition, RulesDefinition } from '@audiencekit/segmentation';
import { ApiException } from '@audiencekit/server-core';

export interface ProfileSegmentVerdict {
  segmentId: string;
  key: string;
  version: number;
  /** Does the profile match the segment's current definition right now (in-memory evaluator)? */
  matches: boolean;
  /** Is it in the segment's membership as of the latest refresh? */
  member: boolean;
  /** matches and not yet a member: it has just entered; the next refresh will record it. */
  entering: boolean;
  /** a member that no longer matches: it has just left. */
  exiting: boolean;
}

/**
 * One profile against every live rules segment, evaluated in memory with the same semantics as the
 * compiled SQL (the differential test proves they agree): what ingestion calls to tell at once
 * whether a profile has just entered or left a segment, without waiting for the next refresh.
 * Model segments (RFM, clusters, propensity) depend on the whole population and are left to refresh.
 */
@Injectable()
export class ProfileSegmentsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async evaluate(profileId: string, now: Date = new Date()): Promise<ProfileSegmentVerdict[]> {
    const [profile] = /^[0-9a-f-]{36}$/i.test(profileId)
      ? await this.dataSource.query(`SELECT traits FROM profiles WHERE id = $1 AND merged_into IS NULL AND deleted_at IS NULL`, [profileId])
      : [];
    if (!profile) throw new ApiException(404, 'profile_not_found', `no profile with id ${profileId}`);
    const segments: { id: string; key: string; version: number; definition: unknown }[] = await this.dataSource.query(
      `SELECT s.id, s.key, s.current_version AS version, v.definition FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL AND s.status = 'active' ORDER BY s.key`,
    );
    const rules = segments
      .map((segment) => ({ ...segment, parsed: parseSegmentDefinition(segment.definition) }))
      .filter((segment): segment is typeof segment & { parsed: RulesDefinition } => segment.parsed.type === 'rules');
    if (rules.length === 0) return [];
    const events: { name: string | null; timestamp: Date; properties: Record<string, unknown> }[] = await this.dataSource.query(
      `SELECT name, timestamp, properties FROM events WHERE profile_id = $1 AND timestamp <= $2`,
      [profileId, now],
    );
    const memberOf: { id: string; key: string }[] = await this.dataSource.query(
      `SELECT s.id, s.key FROM segment_memberships m JOIN segments s ON s.id = m.segment_id WHERE m.profile_id = $1 AND s.deleted_at IS NULL`,
      [profileId],
    );
    // `segment` conditions name a segment by key or id, as the compiled SQL accepts both.
    const current = new Set(memberOf.flatMap((segment) => [segment.id, segment.key]));
    return rules.map((segment) => {
      const matches = evaluateSegment(segment.parsed, { traits: profile.traits, events, segments: current }, { now });
      const member = current.has(segment.id);
      return { segmentId: segment.id, key: segment.key, version: segment.version, matches, member, entering: matches && !member, exiting: member && !matches };
    });
  }
}
