import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { SyncJobsModule } from '../activation/sync-jobs.module';
import { ModelFitJobs } from './model-fit.jobs';
import { SegmentRefreshJobs } from './segment-refresh.jobs';

// SyncJobsModule: the after-refresh hook requests syncs through the activation engine. ModelFitJobs: fits and cadence refits (#21).
@Module({ imports: [SegmentsModule, SyncJobsModule], providers: [SegmentRefreshJobs, ModelFitJobs] })
export class SegmentRefreshJobsModule {}
