import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorSourceOf, SDK_VERSION } from '@audiencekit/connector-sdk';
import { ConnectorPackageError, loadConnectors, parsePackageList } from '../index';

const ROOT = path.resolve(__dirname, '../../../..');

/** A CommonJS connector package as npm would install it, under `<dir>/node_modules/<name>`. */
function writePackage(
  dir: string,
  name: string,
  options: { version?: string; sdkRange?: string | null; body?: string; slug?: string } = {},
): void {
  const root = path.join(dir, 'node_modules', name);
  mkdirSync(root, { recursive: true });
  const peers = options.sdkRange === null ? {} : { '@audiencekit/connector-sdk': options.sdkRange ?? `^${SDK_VERSION}` };
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name, version: options.version ?? '1.2.3', main: 'index.js', peerDependencies: { zod: '^4.0.0', ...peers } }),
  );
  const slug = options.slug ?? name.replace(/^@[^/]+\//, '').replace(/^audiencekit-/, '');
  writeFileSync(
    path.join(root, 'index.js'),
    options.body ??
      `const { z } = require('zod');
const { ConnectorError, allDelivered } = require('@audiencekit/connector-sdk');
exports.connectors = [{
  slug: ${JSON.stringify(slug)}, displayName: 'Packaged', channel: 'webhook', deliveryModel: 'list',
  settings: z.object({}), secrets: z.object({}), requiredIdentifiers: ['email'], limits: { maxBatchSize: 10 },
  testConnection: async () => { throw new ConnectorError('connector_error', 'from the package'); },
  upsert: async (ctx, members) => allDelivered(members),
}];
`,
  );
}

describe('connector packages (AK_CONNECTOR_PACKAGES)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ak-packages-'));
    // The product's own zod, as it sits next to an installed package.
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.join(ROOT, 'node_modules/zod'), path.join(dir, 'node_modules/zod'), 'dir');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (packages: string) =>
    loadConnectors({ AK_CONNECTORS: 'webhook', AK_CONNECTOR_PACKAGES: packages, AK_CONNECTOR_PACKAGES_DIR: dir });

  it('adds the connectors of a listed package after the built-in ones, each with its source', () => {
    writePackage(dir, '@acme/audiencekit-acme');
    writePackage(dir, 'audiencekit-foo', { version: '0.3.0' });
    const loaded = load(' @acme/audiencekit-acme , audiencekit-foo,@acme/audiencekit-acme');
    expect(loaded.map((connector) => [connector.slug, connectorSourceOf(connector)])).toEqual([
      ['webhook', { kind: 'built-in' }],
      ['acme', { kind: 'package', package: '@acme/audiencekit-acme', version: '1.2.3' }],
      ['foo', { kind: 'package', package: 'audiencekit-foo', version: '0.3.0' }],
    ]);
  });

  it.each([
    ['not installed', () => undefined, 'is not installed'],
    ['no SDK range', () => writePackage(dir, 'ak-x', { sdkRange: null }), 'declares no @audiencekit/connector-sdk range'],
    [
      'an SDK range this SDK does not satisfy',
      () => writePackage(dir, 'ak-x', { sdkRange: '^9.0.0' }),
      `was built for @audiencekit/connector-sdk ^9.0.0, and this server's SDK is ${SDK_VERSION}`,
    ],
    ['a range that is not semver', () => writePackage(dir, 'ak-x', { sdkRange: 'latest-ish' }), 'range "latest-ish" is not a semver range'],
    ['a version that is not semver', () => writePackage(dir, 'ak-x', { version: 'one' }), 'its version "one" is not semver'],
    ['no connectors export', () => writePackage(dir, 'ak-x', { body: 'exports.connector = {};' }), 'exports no "connectors" array'],
    [
      'a throw while loading',
      () => writePackage(dir, 'ak-x', { body: "throw new Error('boom at load');" }),
      'failed to load: boom at load',
    ],
    [
      'a broken definition',
      () => writePackage(dir, 'ak-x', { body: "exports.connectors = [{ slug: 'Bad Slug', limits: { maxBatchSize: 0 } }];" }),
      'connector "Bad Slug" breaks the contract: slug "Bad Slug" is not kebab-case',
    ],
    [
      'a built-in slug, even when not enabled',
      () => writePackage(dir, 'ak-x', { slug: 'sendgrid' }),
      'slug "sendgrid" is already taken by a built-in connector',
    ],
  ])('stops start-up naming the package for %s', (_, arrange, reason) => {
    arrange();
    let error: unknown;
    try {
      load('ak-x');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConnectorPackageError);
    expect((error as Error).message).toContain('connector package "ak-x" (AK_CONNECTOR_PACKAGES): ');
    expect((error as Error).message).toContain(reason);
  });

  it('never half-loads: a later failing package leaves the earlier one unloaded and unrecorded', () => {
    writePackage(dir, 'ak-good', { slug: 'good' });
    writePackage(dir, 'ak-twin', { slug: 'good' });
    expect(() => load('ak-good,ak-twin')).toThrow(
      'connector package "ak-twin" (AK_CONNECTOR_PACKAGES): slug "good" is already taken by package ak-good',
    );
    const [good] = require(path.join(dir, 'node_modules/ak-good')).connectors;
    expect(good.slug).toBe('good');
    expect(connectorSourceOf(good)).toEqual({ kind: 'built-in' });
  });

  it('refuses an entry that carries a version or a path', () => {
    expect(() => parsePackageList('@acme/audiencekit-acme@1.2.0')).toThrow(
      'connector package "@acme/audiencekit-acme@1.2.0" (AK_CONNECTOR_PACKAGES): is not an npm package name',
    );
    expect(() => parsePackageList('../evil')).toThrow(ConnectorPackageError);
  });

  it("outside jest, answers a package's require of the SDK and zod with the host's modules (one ConnectorError class)", () => {
    // No SDK and no zod anywhere above this package: only the loader's hook can answer them.
    const bare = mkdtempSync(path.join(tmpdir(), 'ak-packages-bare-'));
    try {
      writePackage(bare, 'ak-hosted', { slug: 'hosted' });
      const script = `
        import { loadConnectors } from '@audiencekit/connector-registry';
        import * as sdk from '@audiencekit/connector-sdk';
        const [hosted] = loadConnectors({ AK_CONNECTORS: 'webhook', AK_CONNECTOR_PACKAGES: 'ak-hosted', AK_CONNECTOR_PACKAGES_DIR: ${JSON.stringify(bare)} }).slice(1);
        (hosted.testConnection as () => Promise<void>)().catch((error: unknown) => console.log(JSON.stringify({ slug: hosted.slug, hostClass: error instanceof sdk.ConnectorError, source: sdk.connectorSourceOf(hosted) })));
      `;
      const file = path.join(bare, 'probe.ts');
      writeFileSync(file, script);
      const out = execFileSync(process.execPath, ['-r', '@swc-node/register', file], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
      });
      expect(JSON.parse(out.trim().split('\n').pop() as string)).toEqual({
        slug: 'hosted',
        hostClass: true,
        source: { kind: 'package', package: 'ak-hosted', version: '1.2.3' },
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  }, 60_000);
});
