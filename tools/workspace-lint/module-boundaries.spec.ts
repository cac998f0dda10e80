import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Proves the module-boundary rules bite: lints probe source text as if it lived at a path inside a
// plugin project (tools/workspace-lint/fixtures/plugin-probe, tagged type:plugin) or a pure lib.

const ROOT = path.resolve(__dirname, '../..');
const ESLINT = path.join(ROOT, 'node_modules/.bin/eslint');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const PLUGIN_DIR = 'tools/workspace-lint/fixtures/plugin-probe/src';
const PROBES: Record<string, { dir: string; source: string }> = {
  pluginSdk: { dir: PLUGIN_DIR, source: "export { ConnectorError } from '@audiencekit/connector-sdk';\n" },
  pluginPersistence: { dir: PLUGIN_DIR, source: "export * from '@audiencekit/persistence';\n" },
  pluginActivation: { dir: PLUGIN_DIR, source: "export * from '@audiencekit/activation-engine';\n" },
  pluginExperimentation: { dir: PLUGIN_DIR, source: "export * from '@audiencekit/experimentation';\n" },
  pluginTypeorm: { dir: PLUGIN_DIR, source: "import { DataSource } from 'typeorm';\nexport const d = DataSource;\n" },
  domainNest: { dir: 'libs/segments-domain/src', source: "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;\n" },
  domainTypeorm: { dir: 'libs/experimentation/src', source: "import { DataSource } from 'typeorm';\nexport const d = DataSource;\n" },
  libImportsApp: { dir: 'libs/activation-engine/src', source: "export * from '../../../apps/api/src/app/feature-modules';\n" },
};

/**
 * Writes each probe as a real file inside the project it pretends to belong to (typed linting
 * only parses files on disk), lints them all in one ESLint run, and removes them.
 */
function lintProbes(): Record<string, LintMessage[]> {
  const files = Object.fromEntries(
    Object.entries(PROBES).map(([name, probe]) => [name, path.join(ROOT, probe.dir, `__boundary_probe_${process.pid}_${name}.ts`)]),
  );
  try {
    for (const [name, file] of Object.entries(files)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, PROBES[name].source);
    }
    const result = spawnSync(ESLINT, ['--format', 'json', '--no-warn-ignored', ...Object.values(files)], { cwd: ROOT, encoding: 'utf8' });
    const reports = JSON.parse(result.stdout) as { filePath: string; messages: LintMessage[] }[];
    return Object.fromEntries(
      Object.entries(files).map(([name, file]) => [name, reports.find((r) => r.filePath === file)?.messages ?? []]),
    );
  } finally {
    for (const file of Object.values(files)) rmSync(file, { force: true });
  }
}

const boundaryMessages = (messages: LintMessage[]) =>
  messages
    .filter((m) => m.ruleId === '@nx/enforce-module-boundaries')
    .map((m) => m.message)
    .join('\n');

describe('module boundaries (Nx tags, enforced by lint)', () => {
  let results: Record<string, LintMessage[]>;
  beforeAll(() => {
    // The rule reads Nx's cached project graph; `npm run lint` builds it the same way first.
    execFileSync(path.join(ROOT, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: ROOT, stdio: 'ignore' });
    results = lintProbes();
  }, 60_000);

  it('parses every probe (a parse error would hide the rule)', () => {
    for (const messages of Object.values(results)) expect(messages.filter((m) => m.ruleId === null)).toEqual([]);
  });

  it('lets a plugin import the connector SDK', () => {
    expect(boundaryMessages(results.pluginSdk)).toBe('');
  });

  it.each(['pluginPersistence', 'pluginActivation', 'pluginExperimentation'])('refuses a plugin importing another lib (%s)', (probe) => {
    expect(boundaryMessages(results[probe])).toMatch(
      /tagged with "type:plugin" can only depend on libs tagged with "type:sdk", "type:util"/,
    );
  });

  it('refuses a plugin importing TypeORM directly', () => {
    expect(boundaryMessages(results.pluginTypeorm)).toMatch(/tagged with "type:(plugin|domain)" is not allowed to import "typeorm"/);
  });

  it('refuses a pure domain lib importing NestJS or TypeORM', () => {
    expect(boundaryMessages(results.domainNest)).toMatch(/tagged with "type:domain" is not allowed to import "@nestjs\/common"/);
    expect(boundaryMessages(results.domainTypeorm)).toMatch(/tagged with "type:(plugin|domain)" is not allowed to import "typeorm"/);
  });

  it('refuses a lib importing an app', () => {
    expect(boundaryMessages(results.libImportsApp)).not.toBe('');
  });
});
