import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { ComputedTraitJobs } from './computed-trait-jobs';

@Module({ imports: [SegmentsModule], providers: [ComputedTraitJobs] })
export class ComputedTraitJobsModule {}
