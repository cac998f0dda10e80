import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PrivacyModule } from '@audiencekit/privacy';
import { ConfigModule, DatabaseModule, loadConfig, migrateDatabase, QUEUES, QueueModule } from '@audiencekit/server-core';
import { CliUsageException } from '../database';

/**
 * The privacy services as the API has them (migrated database, a producer queue: removal syncs are
 * queued for the workers), for one CLI command; closed when `use` is done. Used by `privacy delete`
 * and `suppressions …`.
 */
export async function withPrivacyContext<T>(
  databaseUrl: string | undefined,
  use: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  if (!databaseUrl)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  await migrateDatabase(config.DATABASE_URL, 'audiencekit-cli-migrate');
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(config, 'audiencekit-cli'),
      QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'producer' }),
      PrivacyModule,
    ],
  })
  class CliPrivacyModule {}
  const app = await NestFactory.createApplicationContext(CliPrivacyModule, { logger: ['error', 'warn'] });
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}
