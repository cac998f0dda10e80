import { Module } from '@nestjs/common';
import { IngestionModule } from '@audiencekit/ingestion';
import { PrivacyModule } from '@audiencekit/privacy';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { VendorEventsService } from './vendor-events.service';

/**
 * The vendors' callbacks (needs the global DatabaseModule, ConfigModule and QueueModule): events
 * through ingestion (its own IngestionService, hand-off to real time as the tracking API's),
 * suppressions through libs/privacy.
 */
@Module({
  imports: [
    IngestionModule.registerAsync({
      useFactory: (config: AppConfig) => ({ realtimeHandOff: config.AK_REALTIME }),
      inject: [APP_CONFIG],
    }),
    PrivacyModule,
  ],
  providers: [VendorEventsService],
  exports: [VendorEventsService],
})
export class VendorEventsModule {}
