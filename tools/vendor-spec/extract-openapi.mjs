#!/usr/bin/env node
// Extracts the operations a connector uses from a vendor's own OpenAPI file, reproducibly.
//
//   node tools/vendor-spec/extract-openapi.mjs plugins/sendgrid/spec/sources.json --git-dir <dir>
//   node tools/vendor-spec/extract-openapi.mjs plugins/sendgrid/spec/sources.json --source-root <checkout>
//   ... --check   (re-extracts and fails if a committed file differs)
//
// sources.json names, per source file, its repository, path, commit and the sha256 of the file's
// bytes at that commit, and the operations (`METHOD /path/template`) to keep. The file is read
// with `git --git-dir=<dir> show <commit>:<path>` (a clone of the repository) or from
// `<source-root>/<path>`; a file whose sha256 differs from the recorded one is refused. The output
// is an OpenAPI document of the same version holding only those operations (verbatim), the
// path-level parameters and servers of their paths, and every component they reach through
// `$ref` (verbatim, transitively), plus `x-audiencekit-source` (repository, path, commit, sha256,
// operations). Keys keep the source's order, so the same input always gives the same bytes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function parseArgs(argv) {
  const args = { config: undefined, gitDir: undefined, sourceRoot: undefined, check: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--git-dir') args.gitDir = argv[(i += 1)];
    else if (arg === '--source-root') args.sourceRoot = argv[(i += 1)];
    else if (arg === '--check') args.check = true;
    else if (!args.config) args.config = arg;
    else throw new Error(`unexpected argument ${arg}`);
  }
  if (!args.config || (!args.gitDir && !args.sourceRoot))
    throw new Error('usage: extract-openapi.mjs <sources.json> (--git-dir <dir> | --source-root <dir>) [--check]');
  return args;
}

function readSource(source, args) {
  if (args.gitDir)
    return execFileSync('git', [`--git-dir=${args.gitDir}`, 'show', `${source.commit}:${source.path}`], { maxBuffer: 1 << 28 });
  return readFileSync(join(args.sourceRoot, source.path));
}

/** Every `#/components/...` pointer reachable from `node`, resolved transitively in `document`. */
function collectRefs(node, document, found = new Set()) {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, document, found);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        if (!value.startsWith('#/components/')) throw new Error(`external $ref not supported: ${value}`);
        if (found.has(value)) continue;
        found.add(value);
        collectRefs(resolvePointer(document, value), document, found);
      } else collectRefs(value, document, found);
    }
  }
  return found;
}

function resolvePointer(document, pointer) {
  const parts = pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = document;
  for (const part of parts) {
    node = node?.[part];
    if (node === undefined) throw new Error(`unresolved $ref ${pointer}`);
  }
  return node;
}

function extract(document, source, sha256) {
  const paths = {};
  const seen = new Set();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const kept = {};
    for (const [key, value] of Object.entries(item)) {
      if (METHODS.includes(key)) {
        const name = `${key.toUpperCase()} ${path}`;
        if (source.operations.includes(name)) {
          kept[key] = value;
          seen.add(name);
        }
      }
    }
    if (Object.keys(kept).length === 0) continue;
    const pathItem = {};
    for (const [key, value] of Object.entries(item)) if (!METHODS.includes(key) || key in kept) pathItem[key] = value;
    paths[path] = pathItem;
  }
  const missing = source.operations.filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`${source.path}@${source.commit}: no operation ${missing.join(', ')}`);

  const rootSecurity = document.security;
  const refs = collectRefs({ paths, security: rootSecurity }, document);
  const components = {};
  const usedSchemes = new Set();
  const noteSecurity = (security) => {
    for (const requirement of security ?? []) for (const scheme of Object.keys(requirement)) usedSchemes.add(scheme);
  };
  noteSecurity(rootSecurity);
  for (const item of Object.values(paths)) for (const method of METHODS) noteSecurity(item[method]?.security);
  // Components in the source's order, only those reached.
  for (const [kind, entries] of Object.entries(document.components ?? {})) {
    for (const [name, value] of Object.entries(entries)) {
      const keep =
        kind === 'securitySchemes'
          ? usedSchemes.has(name)
          : refs.has(`#/components/${kind}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (!keep) continue;
      components[kind] ??= {};
      components[kind][name] = value;
    }
  }
  const out = {};
  for (const [key, value] of Object.entries(document)) {
    if (key === 'paths') out.paths = paths;
    else if (key === 'components') out.components = components;
    else if (key === 'tags' || key === 'x-maturity') continue;
    else out[key] = value;
  }
  out['x-audiencekit-source'] = {
    repository: source.repository,
    path: source.path,
    commit: source.commit,
    sha256,
    operations: source.operations,
    extractedBy: 'tools/vendor-spec/extract-openapi.mjs',
  };
  return out;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const configPath = resolve(args.config);
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  let failed = false;
  for (const source of config.sources) {
    const bytes = readSource(source, args);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== source.sha256)
      throw new Error(`${source.repository} ${source.path}@${source.commit}: sha256 ${sha256}, recorded ${source.sha256}`);
    const output = `${JSON.stringify(extract(JSON.parse(bytes.toString('utf8')), source, sha256), null, 2)}\n`;
    const target = join(dirname(configPath), source.output);
    if (args.check) {
      let committed = '';
      try {
        committed = readFileSync(target, 'utf8');
      } catch {
        committed = '';
      }
      if (committed !== output) {
        failed = true;
        console.error(`${target}: differs from a fresh extraction`);
      } else console.log(`${target}: reproduced`);
    } else {
      writeFileSync(target, output);
      console.log(
        `${target}: ${source.operations.length} operations from ${source.repository} ${source.path}@${source.commit.slice(0, 7)}`,
      );
    }
  }
  if (failed) process.exit(1);
}

main();
