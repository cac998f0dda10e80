import { DataSource } from 'typeorm';
import { createDataSource } from '@audiencekit/persistence';
import { migrateDatabase } from '@audiencekit/server-core';

/**
 * Connects to DATABASE_URL after applying pending migrations (under the same advisory lock the API
 * uses, so a CLI run next to a starting API migrates once).
 */
export async function openDatabase(url: string | undefined): Promise<DataSource> {
  if (!url)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  await migrateDatabase(url, 'audiencekit-cli-migrate');
  return createDataSource({ url, poolSize: 2, applicationName: 'audiencekit-cli' }).initialize();
}

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class CliUsageException extends Error {}
