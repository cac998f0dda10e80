import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { SyncJobsModule } from '../activation/sync-jobs.module';
import { SegmentRefreshJobs } from './segment-refresh.jobs';

// SyncJobsModule: the after-refresh hook requests syncs through the activation engine.
@Module({ imports: [SegmentsModule, SyncJobsModule], providers: [SegmentRefreshJobs] })
export class SegmentRefreshJobsModule {}
