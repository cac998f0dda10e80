import { Module } from '@nestjs/common';
import { ContextEnricher, DeviceTypeParser, GeoLookup, IngestionModule } from '@audiencekit/ingestion';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { TrackingController } from './tracking.controller';

/** The Segment-spec tracking endpoints; request bodies are read by `trackingBodyReader` (see create-api-app.ts). */
@Module({
  imports: [
    IngestionModule.registerAsync({
      // AK_REALTIME=false: no hand-off to real-time evaluation (real-time segments move at reconciliation only).
      useFactory: (config: AppConfig) => ({ realtimeHandOff: config.AK_REALTIME }),
      inject: [APP_CONFIG],
    }),
  ],
  controllers: [TrackingController],
  providers: [
    {
      // Built once at start-up: the geolocation database is read into memory here, not per request.
      provide: ContextEnricher,
      useFactory: (config: AppConfig) =>
        new ContextEnricher({ ipRetention: config.AK_IP_RETENTION, geo: GeoLookup.default(), devices: new DeviceTypeParser() }),
      inject: [APP_CONFIG],
    },
  ],
  exports: [ContextEnricher], // quiz answers are enriched like any identify (quizzes-http.module.ts)
})
export class TrackingHttpModule {}
