import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from '@audiencekit/persistence';
import { AppConfig } from '../config/config.schema';
import { AnalyticsDatabase } from './analytics-database.service';
import { DatabaseHealthService } from './database-health.service';

/**
 * The TypeORM connection to Postgres, the readiness check both apps expose, and the separate
 * analytics pool (global, so feature modules such as segments can inject it).
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions({ url: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE, applicationName }),
          // Fail start-up after ~10 s rather than retrying for half a minute with nothing said.
          retryAttempts: 3,
          retryDelay: 1_000,
        }),
      ],
      providers: [DatabaseHealthService, { provide: AnalyticsDatabase, useFactory: () => new AnalyticsDatabase(config) }],
      exports: [DatabaseHealthService, AnalyticsDatabase],
    };
  }
}
