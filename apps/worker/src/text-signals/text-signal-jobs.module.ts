import { Module } from '@nestjs/common';
import { TextSignalsModule } from '@audiencekit/segments-service';
import { TextSignalScoringJobs } from './text-signal-scoring.jobs';

@Module({ imports: [TextSignalsModule], providers: [TextSignalScoringJobs] })
export class TextSignalJobsModule {}
