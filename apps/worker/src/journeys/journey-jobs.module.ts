import { Module } from '@nestjs/common';
import { JOURNEY_ENGINE_OPTIONS, JourneyEngine } from '@audiencekit/journey-engine';
import { SyncJobsModule } from '../activation/sync-jobs.module';
import { journeyEngineOptionsFromEnv, JourneyPasses } from './journey-passes';

// The activation engine (and its DirectDelivery, the connectors, the gates) comes from SyncJobsModule.
@Module({
  imports: [SyncJobsModule],
  providers: [{ provide: JOURNEY_ENGINE_OPTIONS, useValue: journeyEngineOptionsFromEnv() }, JourneyEngine, JourneyPasses],
})
export class JourneyJobsModule {}
