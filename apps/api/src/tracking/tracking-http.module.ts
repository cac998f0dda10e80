import { Module } from '@nestjs/common';
import { IngestionModule } from '@audiencekit/ingestion';
import { TrackingController } from './tracking.controller';

/** The Segment-spec tracking endpoints; request bodies are read by `trackingBodyReader` (see create-api-app.ts). */
@Module({ imports: [IngestionModule], controllers: [TrackingController] })
export class TrackingHttpModule {}
