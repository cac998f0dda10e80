import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { RealtimeEvaluationJobs } from './realtime-evaluation.jobs';

@Module({ imports: [SegmentsModule], providers: [RealtimeEvaluationJobs] })
export class RealtimeEvaluationJobsModule {}
