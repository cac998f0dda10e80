import { Module } from '@nestjs/common';
import { IngestionModule } from '@audiencekit/ingestion';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { QuizzesService } from './quizzes.service';

/**
 * Quizzes and surveys (issue #24). Needs the global DatabaseModule and ConfigModule; answers go
 * through its own IngestionService with the same real-time hand-off as the tracking API (as
 * VendorEventsModule does).
 */
@Module({
  imports: [
    IngestionModule.registerAsync({
      useFactory: (config: AppConfig) => ({ realtimeHandOff: config.AK_REALTIME }),
      inject: [APP_CONFIG],
    }),
  ],
  providers: [QuizzesService],
  exports: [QuizzesService],
})
export class QuizzesModule {}
