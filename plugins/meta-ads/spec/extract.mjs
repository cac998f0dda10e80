#!/usr/bin/env node
// Copies the Marketing API codegen specs the meta-ads connector and its fake use from a clone of
// github.com/facebook/facebook-business-sdk-codegen at a pinned commit: CustomAudience.json and
// AdAccount.json verbatim, and from enum_types.json only the enums those two files' params and
// fields name (the whole file is 570 kB of every node's enums). Records repository, path, commit and
// the sha256 of each source file and of each file written in SOURCES.json.
//
//   node plugins/meta-ads/spec/extract.mjs [path-to-codegen-git-dir] [commit]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const gitDir = process.argv[2] ?? '/work/.mirror/facebook+facebook-business-sdk-codegen/repo';
const commit = process.argv[3] ?? 'ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4';
const out = join(dirname(fileURLToPath(import.meta.url)), 'codegen');
mkdirSync(out, { recursive: true });
const show = (path) => execFileSync('git', ['--git-dir', gitDir, 'show', `${commit}:${path}`]);
const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');
const files = [];

const verbatim = ['api_specs/specs/CustomAudience.json', 'api_specs/specs/AdAccount.json'];
const types = new Set();
for (const path of verbatim) {
  const source = show(path);
  writeFileSync(join(out, path.split('/').pop()), source);
  files.push({ path, sha256: sha256(source), written: path.split('/').pop(), writtenSha256: sha256(source) });
  const spec = JSON.parse(source.toString('utf8'));
  for (const api of spec.apis ?? []) for (const param of api.params ?? []) types.add(param.type.replace(/^list<(.*)>$/, '$1'));
  for (const field of spec.fields ?? []) types.add(field.type.replace(/^list<(.*)>$/, '$1'));
}
const enumsPath = 'api_specs/specs/enum_types.json';
const enumsSource = show(enumsPath);
const subset = JSON.parse(enumsSource.toString('utf8')).filter((entry) => types.has(entry.name));
const subsetText = `${JSON.stringify(subset, null, 2)}\n`;
writeFileSync(join(out, 'enum_types.subset.json'), subsetText);
files.push({
  path: enumsPath,
  sha256: sha256(enumsSource),
  written: 'enum_types.subset.json',
  writtenSha256: sha256(subsetText),
  note: 'only the enums named by the two files above',
});

const sources = { repository: 'https://github.com/facebook/facebook-business-sdk-codegen', commit, files };
writeFileSync(join(dirname(out), 'SOURCES.json'), `${JSON.stringify(sources, null, 2)}\n`);
console.log(`wrote ${files.length} files at ${commit} (${subset.length} enums)`);
