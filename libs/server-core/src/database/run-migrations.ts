import { DataSource } from 'typeorm';
import { createDataSource, migrate } from '@audiencekit/persistence';

// Any fixed number shared by every process of the product; only one holder at a time may migrate.
const MIGRATION_LOCK_ID = 727_274_001;

/**
 * Applies pending migrations under a Postgres advisory lock, so several API replicas starting
 * together migrate once and the others wait for it.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await migrate(dataSource);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await runner.release();
  }
}

/** Opens a short-lived connection, applies pending migrations exclusively, closes it. */
export async function migrateDatabase(url: string, applicationName: string): Promise<string[]> {
  // Two connections: one holds the advisory lock while the other runs the migrations.
  const dataSource = await createDataSource({ url, poolSize: 2, applicationName }).initialize();
  try {
    return await runMigrationsExclusively(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
