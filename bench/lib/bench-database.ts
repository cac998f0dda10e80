import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, migrate, withDatabase } from '@audiencekit/persistence';

export interface BenchDatabase {
  url: string;
  dataSource: DataSource;
  drop: () => Promise<void>;
}

/**
 * A scratch database for one benchmark, migrated to the latest version and dropped by `drop`.
 * Server: DATABASE_URL if set, else the local server at 127.0.0.1:5432 if one answers, else an
 * embedded Postgres started for the run (the same one `npm start` uses), so benches run anywhere.
 */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  const server = await chooseServer();
  const database = `ak_bench_${name}_${process.pid}`;
  await onServer(server.adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = withDatabase(server.adminUrl, database);
  const dataSource = await createDataSource({ url, poolSize: 4, applicationName: `bench-${name}` }).initialize();
  await migrate(dataSource);
  return {
    url,
    dataSource,
    drop: async () => {
      await dataSource.destroy();
      await onServer(server.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      await server.stop();
    },
  };
}

async function chooseServer(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  const configured = process.env.DATABASE_URL;
  if (configured) return { adminUrl: configured, stop: async () => undefined };
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(local)) return { adminUrl: local, stop: async () => undefined };
  const { startEmbeddedPostgres } = await import('../../libs/persistence/embedded/embedded-postgres.mjs');
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), `audiencekit-bench-${process.pid}`, 'pg') });
  console.log(`(no Postgres at 127.0.0.1:5432: using an embedded server on port ${embedded.port})`);
  return { adminUrl: embedded.url('postgres'), stop: () => embedded.stop() };
}

async function answers(url: string): Promise<boolean> {
  try {
    await onServer(url, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function onServer<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
