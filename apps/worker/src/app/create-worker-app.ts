import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, migrateDatabase } from '@audiencekit/server-core';
import { WorkerModule } from './worker.module';

/**
 * Builds the worker (a standalone Nest application: no HTTP server of its own). Migrations run
 * before the modules start, because job handlers and the scheduler touch the tables at once.
 */
export async function createWorkerApp(config: AppConfig): Promise<INestApplicationContext> {
  if (config.MIGRATE_ON_START) await migrateDatabase(config.DATABASE_URL, 'audiencekit-worker-migrate');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  return app;
}
