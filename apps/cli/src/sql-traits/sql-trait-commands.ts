import { readFile } from 'node:fs/promises';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { sqlTraitPreviewSchema, SqlTraitsModule, SqlTraitsService } from '@audiencekit/sql-traits';
import { ConfigModule, DatabaseModule, loadConfig, migrateDatabase } from '@audiencekit/server-core';
import { CliUsageException } from '../database';

type Print = (line: string) => void;

/** The SQL traits service as the API has it (migrated database), for one CLI command. */
export async function withSqlTraits<T>(databaseUrl: string | undefined, use: (service: SqlTraitsService) => Promise<T>): Promise<T> {
  if (!databaseUrl)
    throw new CliUsageException('DATABASE_URL is not set: point it at the audiencekit Postgres (postgres://user:password@host:5432/db)');
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  await migrateDatabase(config.DATABASE_URL, 'audiencekit-cli-migrate');
  @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, 'audiencekit-cli'), SqlTraitsModule] })
  class CliSqlTraitsModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(CliSqlTraitsModule, { logger: ['error', 'warn'] });
  try {
    return await use(app.get(SqlTraitsService));
  } finally {
    await app.close();
  }
}

/**
 * `sql-traits preview --file q.sql [--key-kind email]`: runs the SELECT in the sandbox (nothing
 * written) and prints the columns, the row count, how keys resolve and the first rows as JSON lines.
 */
export async function sqlTraitsPreview(service: SqlTraitsService, print: Print, file: string, keyKind?: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliUsageException(`--file ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  const parsed = sqlTraitPreviewSchema.safeParse({ sql: text, ...(keyKind ? { keyKind } : {}) });
  if (!parsed.success)
    throw new CliUsageException(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'sql'}: ${issue.message}`).join('; '));
  const preview = await service.preview(parsed.data);
  print(`columns: ${preview.columns.map((column) => `${column.name} ${column.type}`).join(', ')}`);
  print(`key: ${preview.keyKind}; value columns (trait keys): ${preview.valueColumns.join(', ')}`);
  print(
    `rows: ${preview.rowCount}; keys resolved ${preview.keys.resolved}, unknown ${preview.keys.unknown}` +
      (preview.keys.unknownExamples.length ? ` (e.g. ${preview.keys.unknownExamples.map((key) => JSON.stringify(key)).join(', ')})` : ''),
  );
  for (const row of preview.rows) print(JSON.stringify(row));
  return 0;
}

/** `sql-traits run <key>`: runs the trait now and prints what it wrote. */
export async function sqlTraitsRun(service: SqlTraitsService, print: Print, key: string): Promise<number> {
  const outcome = await service.run(key, 'manual');
  print(
    `SQL trait ${outcome.key} v${outcome.version}: ${outcome.rowCount} row(s), keys resolved ${outcome.keys.resolved}, unknown ${outcome.keys.unknown}; ` +
      `values upserted ${outcome.values.upserted}, deleted ${outcome.values.deleted}`,
  );
  return 0;
}

/** `sql-traits list`: one line per live SQL trait (key, version, cadence, owner, key kind, trait columns, last run). */
export async function sqlTraitsList(service: SqlTraitsService, print: Print): Promise<number> {
  const traits = await service.list();
  if (traits.length === 0) print('no SQL traits');
  for (const trait of traits) {
    const status = typeof trait.lastRun?.['status'] === 'string' ? ` (${trait.lastRun['status']})` : '';
    print(
      `${trait.key} v${trait.version} [${trait.cadence}] owner ${trait.owner}: key ${trait.keyKind}, columns ${trait.valueColumns.join(', ')}; ` +
        `last run ${trait.lastRunAt ?? 'never'}${status}`,
    );
  }
  return 0;
}
