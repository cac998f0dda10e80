import { DynamicModule, Module, Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfig, ConfigModule, DatabaseModule, LoggingModule, MetricsModule, QUEUES, QueueModule } from '@audiencekit/server-core';
import { SendLedgerRetentionJobsModule } from '../activation/send-ledger-retention.jobs';
import { SyncJobsModule } from '../activation/sync-jobs.module';
import { CatalogueFoldJobsModule } from '../catalogue/catalogue-fold-jobs.module';
import { ComputedTraitJobsModule } from '../computed-traits/computed-trait-jobs.module';
import { WorkerHealthModule } from '../health/worker-health.module';
import { JourneyJobsModule } from '../journeys/journey-jobs.module';
import { PrivacyJobsModule } from '../privacy/privacy-jobs.module';
import { NotificationJobsModule } from '../notifications/notification-jobs.module';
import { RealtimeEvaluationJobsModule } from '../realtime/realtime-evaluation-jobs.module';
import { SegmentRefreshJobsModule } from '../segments/segment-refresh-jobs.module';
import { SqlTraitJobsModule } from '../sql-traits/sql-trait-jobs.module';
import { TextSignalJobsModule } from '../text-signals/text-signal-jobs.module';

/**
 * The worker's job modules, one line each: schedulers (the clock, via @nestjs/schedule) and job
 * handlers (durable work from the Postgres-backed queue).
 */
export const WORKER_JOB_MODULES: Type[] = [
  SegmentRefreshJobsModule,
  SyncJobsModule,
  RealtimeEvaluationJobsModule,
  PrivacyJobsModule,
  CatalogueFoldJobsModule,
  NotificationJobsModule,
  SqlTraitJobsModule,
  ComputedTraitJobsModule,
  TextSignalJobsModule,
  JourneyJobsModule,
  SendLedgerRetentionJobsModule,
];

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, 'audiencekit-worker'),
        DatabaseModule.forRoot(config, 'audiencekit-worker'),
        ScheduleModule.forRoot(),
        QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'worker' }),
        MetricsModule,
        WorkerHealthModule,
        ...WORKER_JOB_MODULES,
      ],
    };
  }
}
