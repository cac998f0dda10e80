import { DynamicModule, Module } from '@nestjs/common';
import {
  AppConfig,
  AuthModule,
  ConfigModule,
  DatabaseModule,
  LoggingModule,
  MetricsModule,
  OpenApiModule,
  QUEUES,
  QueueModule,
} from '@audiencekit/server-core';
import { HealthController } from '../health/health.controller';
import { FEATURE_MODULES } from './feature-modules';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'audiencekit-api'),
        DatabaseModule.forRoot(config, 'audiencekit-api'),
        AuthModule,
        OpenApiModule,
        MetricsModule,
        // The API only enqueues; workers run the jobs.
        QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'producer' }),
        ...FEATURE_MODULES,
      ],
      controllers: [HealthController],
    };
  }
}
