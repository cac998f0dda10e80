import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../data-source';

export interface TestDatabase {
  /** Connection URL of this test file's own database. */
  url: string;
  name: string;
  /** An initialised TypeORM data source on it. */
  dataSource: DataSource;
  /** Closes the data source and drops the database. */
  drop(): Promise<void>;
}

/** URL of the server chosen by the global setup (libs/persistence/embedded/jest-global-setup.mjs). */
export function adminDatabaseUrl(): string {
  const url = process.env.AK_TEST_DATABASE_URL;
  if (!url) throw new Error('AK_TEST_DATABASE_URL is not set: run the tests through the root jest config');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a connection to the server's admin database (for CREATE/ALTER DATABASE and the like). */
export async function onAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database of its own for one test file (so files run in parallel without sharing
 * rows), migrated to the latest version unless `migrated: false`.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `ak_test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(5).toString('hex')}`;
  await onAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(adminDatabaseUrl(), name);
  const dataSource = await createDataSource({ url, poolSize: 5, applicationName: 'audiencekit-test' }).initialize();
  if (options.migrated !== false) await migrate(dataSource);
  return {
    url,
    name,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await onAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
