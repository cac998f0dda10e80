import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, migrate, withDatabase } from '@audiencekit/persistence';

/**
 * A scratch database for one benchmark on the server at DATABASE_URL (default: the local server at
 * postgres://postgres@127.0.0.1:5432/postgres), migrated to the latest version, dropped by `drop`.
 */
export async function createBenchDatabase(name: string): Promise<{ url: string; dataSource: DataSource; drop: () => Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `ak_bench_${name}_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = withDatabase(adminUrl, database);
  const dataSource = await createDataSource({ url, poolSize: 4, applicationName: `bench-${name}` }).initialize();
  await migrate(dataSource);
  return {
    url,
    dataSource,
    drop: async () => {
      await dataSource.destroy();
      const cleanup = new Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
