import { Module } from '@nestjs/common';
import { ModelSegmentsService } from './model-segments.service';
import { ProfileSegmentsService } from './profile-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { SegmentMembershipService } from './segment-membership.service';
import { SegmentRefreshService } from './segment-refresh.service';
import { SegmentSchedulerService } from './segment-scheduler.service';
import { SegmentsService } from './segments.service';

/** Segment definitions, versions, refresh and membership. Needs the database and the job queue. */
@Module({
  providers: [
    SegmentDefinitionGate,
    ModelSegmentsService,
    SegmentsService,
    SegmentRefreshService,
    SegmentMembershipService,
    SegmentSchedulerService,
    ProfileSegmentsService,
  ],
  exports: [
    SegmentDefinitionGate,
    ModelSegmentsService,
    SegmentsService,
    SegmentRefreshService,
    SegmentMembershipService,
    SegmentSchedulerService,
    ProfileSegmentsService,
  ],
})
export class SegmentsModule {}
