import { ComputedTraitsService } from './computed-traits/computed-traits.service';
import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { RealtimeEvaluator } from './realtime/realtime-evaluator.service';
import { REALTIME_OPTIONS, RealtimeOptions } from './realtime/realtime-options';
import { ModelSegmentsService } from './model-segments.service';
import { ProfileSegmentsService } from './profile-segments.service';
import { SegmentDefinitionGate } from './segment-definition.gate';
import { SegmentMembershipService } from './segment-membership.service';
import { SegmentRefreshService } from './segment-refresh.service';
import { SegmentSchedulerService } from './segment-scheduler.service';
import { SegmentsService } from './segments.service';
import { SegmentExportService } from './segment-export.service';
import { SegmentListsService } from './segment-lists.service';
import { ModelFitJobsService } from './model-fit-jobs.service';

/** Segment definitions, versions, refresh and membership. Needs the database and the job queue. */
@Module({
  providers: [
    {
      provide: REALTIME_OPTIONS,
      useFactory: (config?: AppConfig): RealtimeOptions => ({
        batchSize: config?.AK_REALTIME_BATCH_SIZE,
        historyDays: config?.AK_REALTIME_HISTORY_DAYS,
      }),
      inject: [{ token: APP_CONFIG, optional: true }],
    },
    RealtimeEvaluator,
    SegmentDefinitionGate,
    ModelSegmentsService,
    SegmentsService,
    SegmentRefreshService,
    SegmentMembershipService,
    SegmentSchedulerService,
    ProfileSegmentsService,
    SegmentListsService,
    SegmentExportService,
    ComputedTraitsService,
    ModelFitJobsService,
  ],
  exports: [
    RealtimeEvaluator,
    SegmentDefinitionGate,
    ModelSegmentsService,
    SegmentsService,
    SegmentRefreshService,
    SegmentMembershipService,
    SegmentSchedulerService,
    ProfileSegmentsService,
    SegmentListsService,
    SegmentExportService,
    ComputedTraitsService,
    ModelFitJobsService,
  ],
})
export class SegmentsModule {}
