import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ActivationModule, SyncRequestsService, SyncService } from '@audiencekit/activation-engine';
import {
  ComputedTraitsService,
  SegmentExportService,
  SegmentListsService,
  SegmentMembershipService,
  SegmentRefreshService,
  SegmentsModule,
  SegmentsService,
} from '@audiencekit/segments-service';
import { ConfigModule, DatabaseModule, loadConfig, migrateDatabase, QUEUES, QueueModule } from '@audiencekit/server-core';
import { DataSource } from 'typeorm';
import { CliUsageException } from '../database';

/** The services the ops commands call: the same ones the API calls, wired the same way. */
export interface OpsServices {
  dataSource: DataSource;
  segments: SegmentsService;
  membership: SegmentMembershipService;
  refresh: SegmentRefreshService;
  syncs: SyncService;
  /** The engine's door: confirmations of runs held by the mass-send guard. */
  requests: SyncRequestsService;
  /** List uploads and the member export. */
  lists: SegmentListsService;
  exports: SegmentExportService;
  /** Computed traits: preview, manual runs, the list. */
  computedTraits: ComputedTraitsService;
  close(): Promise<void>;
}

/**
 * A Nest application context with the database, the job queue (producer: runs are queued in the
 * same transaction as their row, exactly as through the API) and the segments and sync services.
 * No connectors: the CLI only requests syncs and reads runs; the workers execute them.
 */
export async function openOpsContext(databaseUrl: string | undefined): Promise<OpsServices> {
  if (!databaseUrl)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  await migrateDatabase(config.DATABASE_URL, 'audiencekit-cli-migrate');
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(config, 'audiencekit-cli'),
      QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'producer' }),
      SegmentsModule,
      ActivationModule.forRoot({ connectors: [] }),
    ],
  })
  class CliOpsModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(CliOpsModule, { logger: ['error', 'warn'] });
  return {
    dataSource: app.get(DataSource),
    segments: app.get(SegmentsService),
    membership: app.get(SegmentMembershipService),
    refresh: app.get(SegmentRefreshService),
    syncs: app.get(SyncService),
    requests: app.get(SyncRequestsService),
    lists: app.get(SegmentListsService),
    exports: app.get(SegmentExportService),
    computedTraits: app.get(ComputedTraitsService),
    close: () => app.close(),
  };
}
