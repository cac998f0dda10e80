import { Module } from '@nestjs/common';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { SegmentMembershipService } from './segment-membership.service';
import { SegmentRefreshService } from './segment-refresh.service';
import { SegmentSchedulerService } from './segment-scheduler.service';
import { SegmentsService } from './segments.service';

/** Segment definitions, versions, refresh and membership. Needs the database and the job queue. */
@Module({
  providers: [SegmentDefinitionGate, SegmentsService, SegmentRefreshService, SegmentMembershipService, SegmentSchedulerService],
  exports: [SegmentDefinitionGate, SegmentsService, SegmentRefreshService, SegmentMembershipService, SegmentSchedulerService],
})
export class SegmentsModule {}
