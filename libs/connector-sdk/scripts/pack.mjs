#!/usr/bin/env node
// Builds @audiencekit/connector-sdk to JavaScript + declarations in a staging folder (never inside
// the checkout, so jest, eslint and other engineers' builds never see a dist/) and packs it with
// `npm pack`. Usage: node libs/connector-sdk/scripts/pack.mjs [--out <folder>] — prints the
// tarball's absolute path on the last line of stdout.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(sdkRoot, '../..');
const outFlag = process.argv.indexOf('--out');
const out = resolve(outFlag > 0 ? process.argv[outFlag + 1] : process.cwd());
mkdirSync(out, { recursive: true });

const manifest = JSON.parse(readFileSync(join(sdkRoot, 'package.json'), 'utf8'));
const versionSource = readFileSync(join(sdkRoot, 'src/version.ts'), 'utf8');
if (!versionSource.includes(`SDK_VERSION = '${manifest.version}'`)) {
  console.error(`src/version.ts does not say SDK_VERSION = '${manifest.version}' (package.json): bump both together`);
  process.exit(1);
}

const staging = mkdtempSync(join(tmpdir(), 'ak-sdk-pack-'));
try {
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(sdkRoot, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')], {
    stdio: 'inherit',
  });
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) copyFileSync(join(sdkRoot, file), join(staging, file));
  const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: staging, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(packed);
  console.log(join(out, filename));
} finally {
  rmSync(staging, { recursive: true, force: true });
}
