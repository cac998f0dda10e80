// audiencekit command line for ops (see apps/cli/README.md):
//   npm run cli -- import customers <file.csv>
//   npm run cli -- import orders <file.csv>
//   npm run cli -- keys create --role admin --name <name>
import 'reflect-metadata';
import { appendFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import type { ApiKeyRole } from '@audiencekit/persistence';
import { IngestionService } from '@audiencekit/ingestion';
import { CliUsageException, openDatabase } from './database';
import { formatSummary, ImportFileException, importCsv, ImportKind } from './import/import-csv';
import { createKey, KEY_ROLES } from './keys/create-key';

const USAGE = `usage:
  npm run cli -- import customers <file.csv> [--batch-size 1000] [--phone-country GB] [--rejected-file rejected.csv]
  npm run cli -- import orders <file.csv>    [--batch-size 1000] [--rejected-file rejected.csv]
  npm run cli -- keys create --role admin|marketer|viewer|write --name <name>
DATABASE_URL names the Postgres database; pending migrations are applied first.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      'batch-size': { type: 'string' },
      'phone-country': { type: 'string' },
      'rejected-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, subject, file] = positionals;
  if (command === 'import' && (subject === 'customers' || subject === 'orders') && file) {
    const batchSize = values['batch-size'] === undefined ? 1_000 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2_500) throw new CliUsageException('--batch-size must be an integer from 1 to 2500');
    return runImport(subject, file, batchSize, values['phone-country'], values['rejected-file']);
  }
  if (command === 'keys' && subject === 'create') {
    const role = values.role as ApiKeyRole | undefined;
    if (!role || !KEY_ROLES.includes(role)) throw new CliUsageException(`--role must be one of ${KEY_ROLES.join(', ')}`);
    if (!values.name?.trim()) throw new CliUsageException('--name is required (who or what the key is for)');
    return runCreateKey(values.name.trim(), role);
  }
  throw new CliUsageException(`unknown command: ${positionals.join(' ') || '(none)'}`);
}

async function runImport(kind: ImportKind, file: string, batchSize: number, phoneCountry?: string, rejectedFile?: string): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    if (rejectedFile) writeFileSync(rejectedFile, 'line,reason\n');
    const ingestion = new IngestionService(dataSource, { defaultPhoneCountry: phoneCountry });
    const summary = await importCsv(ingestion, {
      kind, file, batchSize, progress: process.stdout.isTTY === true,
      onRejected: rejectedFile ? (line, reason) => appendFileSync(rejectedFile, `${line},"${reason.replace(/"/g, '""')}"\n`) : undefined,
    });
    process.stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function runCreateKey(name: string, role: ApiKeyRole): Promise<number> {
  const dataSource = await openDatabase(process.env.DATABASE_URL);
  try {
    const created = await createKey(dataSource, name, role);
    process.stdout.write(
      `created ${role} key "${name}" (id ${created.key.id}, prefix ${created.prefix})\n` +
        `secret: ${created.secret}\n` +
        'store it now: only its hash is kept, it cannot be shown again\n',
    );
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

// Identity-stitching refusals are logged as warnings; errors only otherwise, to keep the summary readable.
Logger.overrideLogger(['error', 'warn']);
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliUsageException || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof ImportFileException ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
