import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Proves the connector lint rules of eslint.config.mjs bite, the way module-boundaries.spec.ts does:
// probe files are written where they pretend to live, linted in one ESLint run, and removed.
// (a) no cast to EligibleMember outside the eligibility step and the SDK test kit;
// (b) no import of the connector test kit from production code;
// (c) the type:registry tag: the registry may import plugins, plugins may not import the registry;
// (d) plugins reach the network only through ctx.http (the SDK's guarded client): no axios,
//     node:http(s), undici or fetch of their own outside tests and fakes (#16), neither imported
//     nor by require() / import(); and production plugin code may not import its fakes or test
//     helpers (the files exempt from (d)), so an exempt file is never part of the plugin.

const ROOT = path.resolve(__dirname, '../..');
const ESLINT = path.join(ROOT, 'node_modules/.bin/eslint');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const PLUGIN_DIR = 'tools/workspace-lint/fixtures/plugin-probe/src';
const MEMBER =
  "import type { EligibleMember, MemberData } from '@audiencekit/connector-sdk';\nconst m = { profileId: 'p', identifiers: {}, traits: {}, deliveryKey: 'k' } as MemberData;\n";
const KIT = "import { testMember } from '@audiencekit/connector-sdk/testing';\nexport const member = testMember();\n";

const PROBES: Record<string, { dir: string; source: string; suffix?: string }> = {
  castInPlugin: { dir: PLUGIN_DIR, source: `${MEMBER}export const a = m as EligibleMember;\n` },
  castArrayInActivation: {
    dir: 'libs/activation-engine/src/pipeline',
    source: `${MEMBER}export const a = [m] as readonly EligibleMember[];\n`,
  },
  doubleCastInApp: { dir: 'apps/api/src', source: `${MEMBER}export const a = m as unknown as EligibleMember;\n` },
  angleCastInPlugin: { dir: PLUGIN_DIR, source: `${MEMBER}export const a = <EligibleMember>m;\n` },
  castInTestKit: { dir: 'libs/connector-sdk/src/testing', source: `${MEMBER}export const a = m as EligibleMember;\n` },
  otherCastInPlugin: { dir: PLUGIN_DIR, source: `${MEMBER}export const a = m as MemberData;\n` },
  kitInPluginSource: { dir: PLUGIN_DIR, source: KIT },
  kitInAppSource: { dir: 'apps/api/src', source: KIT },
  kitInPluginSpec: { dir: PLUGIN_DIR, source: KIT, suffix: '.spec.ts' },
  kitInPluginTests: { dir: `${PLUGIN_DIR}/__tests__`, source: KIT },
  kitInPluginFake: { dir: `${PLUGIN_DIR}/fake`, source: KIT },
  kitInBench: { dir: 'bench', source: KIT },
  registryImportsPlugin: { dir: 'libs/connector-registry/src', source: "export { webhook } from '@audiencekit/plugin-webhook';\n" },
  registryImportsPersistence: { dir: 'libs/connector-registry/src', source: "export * from '@audiencekit/persistence';\n" },
  appImportsRegistry: { dir: 'apps/api/src', source: "export { loadConnectors } from '@audiencekit/connector-registry';\n" },
  pluginImportsRegistry: { dir: PLUGIN_DIR, source: "export { loadConnectors } from '@audiencekit/connector-registry';\n" },
  pluginImportsPlugin: { dir: PLUGIN_DIR, source: "export { webhook } from '@audiencekit/plugin-webhook';\n" },
  axiosInPlugin: { dir: PLUGIN_DIR, source: "import axios from 'axios';\nexport const get = (url: string) => axios.get(url);\n" },
  axiosTypeInPlugin: { dir: PLUGIN_DIR, source: "import type { AxiosRequestConfig } from 'axios';\nexport type C = AxiosRequestConfig;\n" },
  nodeHttpInPlugin: { dir: PLUGIN_DIR, source: "import { request } from 'node:http';\nexport const r = request;\n" },
  bareHttpsInPlugin: { dir: PLUGIN_DIR, source: "import https from 'https';\nexport const r = https.request;\n" },
  undiciInPlugin: { dir: PLUGIN_DIR, source: "import { request } from 'undici';\nexport const r = request;\n" },
  fetchInPlugin: { dir: PLUGIN_DIR, source: 'export const get = (url: string) => fetch(url);\n' },
  globalFetchInPlugin: { dir: PLUGIN_DIR, source: 'export const get = (url: string) => globalThis.fetch(url);\n' },
  axiosInPluginSpec: {
    dir: PLUGIN_DIR,
    source: "import axios from 'axios';\nexport const get = (url: string) => axios.get(url);\n",
    suffix: '.spec.ts',
  },
  fetchInPluginFake: { dir: `${PLUGIN_DIR}/fake`, source: 'export const get = (url: string) => fetch(url);\n' },
  requireAxiosInPlugin: {
    dir: PLUGIN_DIR,
    source: "const axios = require('axios');\nexport const get = (url: string) => axios.get(url);\n",
  },
  requireNodeHttpInPlugin: { dir: PLUGIN_DIR, source: "const http = require('node:http');\nexport const r = http.request;\n" },
  requireAxiosSubpathInPlugin: { dir: PLUGIN_DIR, source: "export const adapter = require('axios/lib/adapters/http');\n" },
  requireTemplateInPlugin: { dir: PLUGIN_DIR, source: 'export const https = require(`https`);\n' },
  importAxiosInPlugin: { dir: PLUGIN_DIR, source: "export const load = () => import('axios');\n" },
  importNodeNetInPlugin: { dir: PLUGIN_DIR, source: "export const load = () => import('node:net');\n" },
  importComputedInPlugin: { dir: PLUGIN_DIR, source: "const name = 'ax' + 'ios';\nexport const load = () => import(name);\n" },
  requireComputedInPlugin: { dir: PLUGIN_DIR, source: "const name = 'ax' + 'ios';\nexport const m = require(name);\n" },
  createRequireInPlugin: {
    dir: PLUGIN_DIR,
    source: "import { createRequire } from 'node:module';\nexport const r = createRequire(__filename);\n",
  },
  fakeImportInPlugin: { dir: PLUGIN_DIR, source: "export { fake } from './fake/probe-fake';\n" },
  fakeDynamicImportInPlugin: { dir: PLUGIN_DIR, source: "export const load = () => import('./fake/probe-fake');\n" },
  testingImportInPlugin: { dir: PLUGIN_DIR, source: "export { fake } from './testing';\n" },
  relativeImportInPlugin: { dir: PLUGIN_DIR, source: "export const load = () => import('./signature');\nexport { a } from './fakery';\n" },
  requireAxiosInPluginFake: {
    dir: `${PLUGIN_DIR}/fake`,
    source: "export const axios = require('axios');\nexport const load = () => import('node:http');\n",
  },
  axiosInSdk: {
    dir: 'libs/connector-sdk/src/http',
    source: "import axios from 'axios';\nexport const get = (url: string) => axios.get(url);\n",
  },
};

function lintProbes(): Record<string, LintMessage[]> {
  const files = Object.fromEntries(
    Object.entries(PROBES).map(([name, probe]) => [
      name,
      path.join(ROOT, probe.dir, `__connector_probe_${process.pid}_${name}${probe.suffix ?? '.ts'}`),
    ]),
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
    // Only when empty: a concurrent run of this spec may still have its probes there.
    for (const dir of ['__tests__', 'fake']) removeIfEmpty(path.join(ROOT, PLUGIN_DIR, dir));
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}

/** The eligibility step itself exists on disk, so it is linted as it is, with a cast appended. */
function lintEligibilityStep(): LintMessage[] {
  const file = 'libs/activation-engine/src/pipeline/eligibility.ts';
  const source = `${MEMBER}export const probe = m as EligibleMember;\n`;
  const result = spawnSync(ESLINT, ['--format', 'json', '--stdin', '--stdin-filename', file], {
    cwd: ROOT,
    encoding: 'utf8',
    input: source,
  });
  return (JSON.parse(result.stdout) as { messages: LintMessage[] }[])[0].messages;
}

const messagesOf = (messages: LintMessage[], rule: string) =>
  messages
    .filter((m) => m.ruleId === rule)
    .map((m) => m.message)
    .join('\n');

describe('connector lint rules', () => {
  let results: Record<string, LintMessage[]>;
  let eligibility: LintMessage[];
  beforeAll(() => {
    execFileSync(path.join(ROOT, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: ROOT, stdio: 'ignore' });
    results = lintProbes();
    eligibility = lintEligibilityStep();
  }, 120_000);

  it('parses every probe (a parse error would hide the rule)', () => {
    for (const messages of [...Object.values(results), eligibility]) expect(messages.filter((m) => m.ruleId === null)).toEqual([]);
  });

  describe('(a) casts to EligibleMember', () => {
    it.each(['castInPlugin', 'castArrayInActivation', 'doubleCastInApp', 'angleCastInPlugin'])('refuses %s', (probe) => {
      expect(messagesOf(results[probe], 'no-restricted-syntax')).toMatch(
        /Only libs\/activation-engine\/src\/pipeline\/eligibility.ts mints EligibleMember/,
      );
    });

    it('allows them in the eligibility step and in the SDK test kit', () => {
      expect(messagesOf(eligibility, 'no-restricted-syntax')).toBe('');
      expect(messagesOf(results.castInTestKit, 'no-restricted-syntax')).toBe('');
    });

    it('leaves other casts alone', () => {
      expect(messagesOf(results.otherCastInPlugin, 'no-restricted-syntax')).toBe('');
    });
  });

  describe('(b) the connector test kit in production code', () => {
    it.each(['kitInPluginSource', 'kitInAppSource'])('refuses %s', (probe) => {
      expect(messagesOf(results[probe], 'no-restricted-imports')).toMatch(/test kit is for tests, benchmarks and fake servers only/);
    });

    it.each(['kitInPluginSpec', 'kitInPluginTests', 'kitInPluginFake', 'kitInBench'])('allows %s', (probe) => {
      expect(messagesOf(results[probe], 'no-restricted-imports')).toBe('');
      expect(messagesOf(results[probe], '@nx/enforce-module-boundaries')).toBe('');
    });
  });

  describe('(c) the registry tag', () => {
    it('lets the registry import plugins and apps import the registry', () => {
      expect(messagesOf(results.registryImportsPlugin, '@nx/enforce-module-boundaries')).toBe('');
      expect(messagesOf(results.appImportsRegistry, '@nx/enforce-module-boundaries')).toBe('');
    });

    it('refuses the registry importing a data-access lib', () => {
      expect(messagesOf(results.registryImportsPersistence, '@nx/enforce-module-boundaries')).toMatch(
        /tagged with "type:registry" can only depend on libs tagged with "type:plugin", "type:sdk", "type:util"/,
      );
    });

    it.each(['pluginImportsRegistry', 'pluginImportsPlugin'])('still limits plugins to the SDK (%s)', (probe) => {
      expect(messagesOf(results[probe], '@nx/enforce-module-boundaries')).toMatch(
        /tagged with "type:plugin" can only depend on libs tagged with "type:sdk", "type:util"/,
      );
    });
  });
  describe('(d) outbound HTTP in plugins only through ctx.http', () => {
    const OUTBOUND = /network only through ctx\.http/;
    it.each(['axiosInPlugin', 'axiosTypeInPlugin', 'nodeHttpInPlugin', 'bareHttpsInPlugin', 'undiciInPlugin'])(
      'refuses the import in %s',
      (probe) => {
        expect(messagesOf(results[probe], 'no-restricted-imports')).toMatch(OUTBOUND);
      },
    );

    it.each(['fetchInPlugin', 'globalFetchInPlugin'])('refuses the global fetch in %s', (probe) => {
      const messages = [messagesOf(results[probe], 'no-restricted-globals'), messagesOf(results[probe], 'no-restricted-properties')].join(
        '\n',
      );
      expect(messages).toMatch(OUTBOUND);
    });

    it.each([
      'requireAxiosInPlugin',
      'requireNodeHttpInPlugin',
      'requireAxiosSubpathInPlugin',
      'requireTemplateInPlugin',
      'importAxiosInPlugin',
      'importNodeNetInPlugin',
      'importComputedInPlugin',
      'requireComputedInPlugin',
    ])('refuses require() / import() in %s', (probe) => {
      expect(messagesOf(results[probe], 'no-restricted-syntax')).toMatch(OUTBOUND);
    });

    it('refuses node:module (createRequire would hide a require)', () => {
      expect(messagesOf(results.createRequireInPlugin, 'no-restricted-imports')).toMatch(OUTBOUND);
    });

    it('keeps refusing casts to EligibleMember in plugin sources (one no-restricted-syntax list for both)', () => {
      expect(messagesOf(results.castInPlugin, 'no-restricted-syntax')).toMatch(/mints EligibleMember/);
    });

    it.each(['fakeImportInPlugin', 'fakeDynamicImportInPlugin', 'testingImportInPlugin'])(
      'refuses %s: production plugin code may not reach the exempt fake/ and testing files',
      (probe) => {
        const messages = [messagesOf(results[probe], 'no-restricted-imports'), messagesOf(results[probe], 'no-restricted-syntax')].join(
          '\n',
        );
        expect(messages).toMatch(/fakes and test helpers/);
      },
    );

    it("allows import() and re-exports of the plugin's own production modules", () => {
      expect(messagesOf(results.relativeImportInPlugin, 'no-restricted-imports')).toBe('');
      expect(messagesOf(results.relativeImportInPlugin, 'no-restricted-syntax')).toBe('');
    });

    it('allows require() and import() of those modules in fakes', () => {
      expect(messagesOf(results.requireAxiosInPluginFake, 'no-restricted-syntax')).toBe('');
    });

    it('still refuses the test kit in plugin sources (the rule keeps both lists)', () => {
      expect(messagesOf(results.kitInPluginSource, 'no-restricted-imports')).toMatch(
        /test kit is for tests, benchmarks and fake servers only/,
      );
    });

    it.each(['axiosInPluginSpec', 'fetchInPluginFake', 'axiosInSdk'])(
      'allows %s (tests, fakes, and the SDK that owns the guard)',
      (probe) => {
        expect(messagesOf(results[probe], 'no-restricted-imports')).toBe('');
        expect(messagesOf(results[probe], 'no-restricted-globals')).toBe('');
      },
    );
  });
});
