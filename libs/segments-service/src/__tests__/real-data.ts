// Test support: the real data sets committed in data/ (copies of ../shared/data), loaded into a test
// database through the real CSV importer (the CLI, as a child process: libs may not import apps).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';

const ROOT = path.resolve(__dirname, '../../../..');
export const SHARED_DATA_DIR = path.resolve(ROOT, 'data');
const run = promisify(execFile);

/** Path of a shared data file; a missing one fails the test naming the path (real-data tests never skip). */
export function sharedDataFile(file: string): string {
  const location = path.join(SHARED_DATA_DIR, file);
  if (!existsSync(location)) throw new Error(`shared data file ${file} not found at ${location}; see data/README.md`);
  return location;
}

export function readSharedCsv(file: string, delimiter = ','): Record<string, string>[] {
  return parse(readFileSync(sharedDataFile(file), 'utf8'), { columns: true, delimiter, skip_empty_lines: true, trim: true }) as Record<
    string,
    string
  >[];
}

/** `audiencekit import orders <file>` against the database at `url`; returns the CLI's output. */
export async function importOrders(url: string, file: string): Promise<string> {
  return importCsv(url, 'orders', sharedDataFile(file));
}

/** `audiencekit import <customers|orders> <path>` against the database at `url` (any file path); returns the CLI's output. */
export async function importCsv(url: string, subject: 'customers' | 'orders', location: string): Promise<string> {
  const { DATABASE_URL: _inherited, ...env } = process.env;
  const { stdout } = await run(
    process.execPath,
    ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'import', subject, location],
    {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      maxBuffer: 10 * 1024 * 1024,
    },
  );
  return stdout;
}
