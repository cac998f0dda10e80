// Demo data for `npm start`, loaded once into an empty database (idempotent: a second start sees
// the marker and does nothing). Prints the demo admin key the first time only: it is stored hashed.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, createDataSource } from '@audiencekit/persistence';
import { generateApiKey } from '@audiencekit/server-core';

async function seedAdminKey(dataSource: DataSource): Promise<string | undefined> {
  const keys = dataSource.getRepository(ApiKeyEntity);
  if ((await keys.count()) > 0) return undefined;
  const { secret, prefix, hash } = generateApiKey('admin');
  await keys.save({ name: 'demo admin (created by npm start)', role: 'admin', prefix, keyHash: hash });
  return secret;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const dataSource = await createDataSource({ url, poolSize: 4, applicationName: 'audiencekit-demo-seed' }).initialize();
  try {
    const adminKey = await seedAdminKey(dataSource);
    if (adminKey) {
      process.stdout.write(`[audiencekit] demo admin API key (shown once, stored hashed): ${adminKey}\n`);
    } else {
      process.stdout.write('[audiencekit] demo data already loaded\n');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo data failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
