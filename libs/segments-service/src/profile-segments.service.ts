import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { evaluateSegment, parseSegmentDefinition, RulesDefinition } from '@audiencekit/segments-domain';
import { liveProfileTraits, profileEventsUntil, segmentsOfProfile } from './segment-membership.repository';
import { SegmentsException } from './segments.exception';
import { activeCurrentDefinitions } from './segments.repository';

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
    const manager = this.dataSource.manager;
    const profile = /^[0-9a-f-]{36}$/i.test(profileId) ? await liveProfileTraits(manager, profileId) : undefined;
    if (!profile) throw new SegmentsException('profile_not_found', `no profile with id ${profileId}`);
    const segments = await activeCurrentDefinitions(manager);
    const rules = segments
      .map((segment) => ({ ...segment, parsed: parseSegmentDefinition(segment.definition) }))
      .filter((segment): segment is typeof segment & { parsed: RulesDefinition } => segment.parsed.type === 'rules');
    if (rules.length === 0) return [];
    const events = await profileEventsUntil(manager, profileId, now);
    const memberOf = await segmentsOfProfile(manager, profileId);
    // `segment` conditions name a segment by key or id, as the compiled SQL accepts both.
    const current = new Set(memberOf.flatMap((segment) => [segment.id, segment.key]));
    return rules.map((segment) => {
      const matches = evaluateSegment(segment.parsed, { traits: profile.traits, events, segments: current }, { now });
      const member = current.has(segment.id);
      return {
        segmentId: segment.id,
        key: segment.key,
        version: segment.version,
        matches,
        member,
        entering: matches && !member,
        exiting: member && !matches,
      };
    });
  }
}
