import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments';
import { SegmentRefreshJobs } from './segment-refresh.jobs';

@Module({ imports: [SegmentsModule], providers: [SegmentRefreshJobs] })
export class SegmentRefreshJobsModule {}
