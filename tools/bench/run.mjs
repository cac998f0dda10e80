// `npm run bench` runs every bench/*.bench.ts; `npm run bench -- holdout` runs bench/holdout.bench.ts.
// Benchmarks print a table and a ratio against a baseline measured in the same process.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const benchDir = path.resolve(import.meta.dirname, '../../bench');
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''));
const selected = wanted.length ? wanted : available;
for (const name of selected) {
  if (!available.includes(name)) {
    console.error(`no benchmark named "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name}.bench.ts ===`);
  const result = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      '@swc-node/register',
      path.join(benchDir, `${name}.bench.ts`),
      ...process.argv.slice(2).filter((a) => a.startsWith('-')),
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
