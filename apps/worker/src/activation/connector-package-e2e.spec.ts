import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectorCatalog } from '@audiencekit/activation-admin';
import { ActivationModule, SyncService } from '@audiencekit/activation-engine';
import { auditConnectorPackage, loadConnectors } from '@audiencekit/connector-registry';
import { AnyConnectorDefinition, connectorSourceOf } from '@audiencekit/connector-sdk';
import type { FakeVendorServer } from '@audiencekit/connector-sdk/testing';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { ConfigModule, DatabaseModule, loadConfig, QueueModule, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * Issue #25's proof, as an outside author and an operator would do it, outside this repository:
 * 1. pack the SDK (libs/connector-sdk/scripts/pack.mjs);
 * 2. generate a standalone connector in a temp folder, install the packed SDK there (npm, offline),
 *    and pass its contract suite (the package's own jest config and specs);
 * 3. build and pack the connector;
 * 4. install it next to a "product" folder (npm, offline), list it in AK_CONNECTOR_PACKAGES, and
 *    sync a segment to its fake vendor through the real engine (SyncService.execute);
 * 5. no control member (activation or global holdout) reaches the package's connector.
 * Offline: the SDK and the connector declare their runtime needs as peers (the host's zod and SDK),
 * so `npm install --offline --legacy-peer-deps <tarball>` needs nothing from a registry; the author's
 * dev tools (jest, swc, typescript, zod, axios, ajv) are this checkout's, linked into the temp folder
 * where an outside author's `npm install` would put them.
 */
const ROOT = path.resolve(__dirname, '../../../..');
const PACKAGE = '@acme/audiencekit-acme';
const MEMBERS = 40;
const ACTIVATION_SHARE = 0.25;
const GLOBAL_SALT = 'pkg-e2e-global';
const GLOBAL_SHARE = 0.1;
const KEY_RING = `e2e:${randomBytes(32).toString('base64')}`;
const DEV_TOOLS = ['zod', 'axios', 'ajv', 'ajv-formats', '@swc/core', '@swc/jest', 'typescript', '@types/jest', '@types/node'];

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
// A child jest must not think it is one of this jest's workers.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CI: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  for (const key of Object.keys(env)) if (key.startsWith('JEST_')) delete env[key];
  return env;
}
const npmInstallOffline = (cwd: string, tarball: string) =>
  run('npm', ['install', '--offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund', tarball], cwd);
const link = (nodeModules: string, dep: string) => {
  mkdirSync(path.dirname(path.join(nodeModules, dep)), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(nodeModules, dep), 'dir');
};

describe('a connector package built outside the repository, installed next to the product (#25)', () => {
  let tmp: string;
  let db: TestDatabase | undefined;
  let app: INestApplicationContext | undefined;
  let fake: FakeVendorServer | undefined;
  let installedRoot: string;
  let productDir: string;
  let connectors: AnyConnectorDefinition[];
  let contractRun: { status: number | null; output: string };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'ak-package-proof-'));
    const author = path.join(tmp, 'author');
    const product = path.join(tmp, 'product');
    for (const dir of [author, product]) {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true }));
    }

    // 1. Pack the SDK.
    const sdkTarball = run(process.execPath, [path.join(ROOT, 'libs/connector-sdk/scripts/pack.mjs'), '--out', tmp], ROOT)
      .trim()
      .split('\n')
      .pop() as string;

    // 2. Generate the connector outside the repository; install the packed SDK; run its contract suite.
    npmInstallOffline(author, sdkTarball);
    for (const dep of DEV_TOOLS) link(path.join(author, 'node_modules'), dep);
    const connectorDir = path.join(author, 'acme');
    run(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        path.join(ROOT, 'tools/generators/src/connector/standalone-cli.ts'),
        '--name=acme',
        '--channel=email',
        `--out=${connectorDir}`,
        `--package=${PACKAGE}`,
        `--sdk=${sdkTarball}`,
      ],
      ROOT,
    );
    const suite = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/jest/bin/jest.js'), '--ci', '--runInBand', '--verbose'], {
      cwd: connectorDir,
      encoding: 'utf8',
      env: cleanEnv(),
    });
    contractRun = { status: suite.status, output: `${suite.stdout}\n${suite.stderr}` };

    // 3. Build and pack the connector.
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], connectorDir);
    const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], connectorDir));

    // 4. Install it next to the product (which has its own zod, like the real one), list it in the configuration.
    npmInstallOffline(product, path.join(tmp, filename));
    link(path.join(product, 'node_modules'), 'zod');
    productDir = product;
    installedRoot = path.join(product, 'node_modules', PACKAGE);
    connectors = loadConnectors({ AK_CONNECTORS: 'webhook', AK_CONNECTOR_PACKAGES: PACKAGE, AK_CONNECTOR_PACKAGES_DIR: product });

    const testing = require(path.join(installedRoot, 'dist/testing.js')) as { startAcmeFake: () => Promise<FakeVendorServer> };
    fake = await testing.startAcmeFake();
    db = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AK_SECRETS_KEYS: KEY_RING,
      AK_CONNECTOR_BASE_URLS: `acme=${fake.url}`,
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'audiencekit-package-e2e'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        ActivationModule.forRoot({ connectors, engine: { initialBackoffMs: 10, maxBackoffMs: 50 } }),
      ],
      providers: [ConnectorCatalog],
    })
    class PackageE2eModule {}
    app = await NestFactory.createApplicationContext(PackageE2eModule, { logger: false });
    await db.dataSource.query(`UPDATE global_holdout SET share = $1, salt = $2 WHERE id = 1`, [GLOBAL_SHARE, GLOBAL_SALT]);
  }, 150_000);

  afterAll(async () => {
    await app?.close();
    await fake?.stop();
    await db?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('passes its own contract suite, against the packed SDK, outside the repository', () => {
    expect([contractRun.status, contractRun.output]).toEqual([0, expect.stringContaining('connector contract: acme')]);
    expect(contractRun.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(contractRun.output).not.toMatch(/\d+ failed/);
  });

  it('is loaded from the installed package, with its source, beside the built-in connectors', () => {
    const acme = connectors.find((connector) => connector.slug === 'acme') as AnyConnectorDefinition;
    expect(connectorSourceOf(acme)).toEqual({ kind: 'package', package: PACKAGE, version: '0.1.0' });
    const listed = (app as INestApplicationContext).get(ConnectorCatalog).list();
    expect(listed.map((item) => [item.slug, item.source])).toEqual([
      ['acme', { kind: 'package', package: PACKAGE, version: '0.1.0' }],
      ['webhook', { kind: 'built-in' }],
    ]);
  });

  it('reaches the network only through the SDK context: the packed code loads no HTTP client of its own', () => {
    // What an operator runs before listing a package (npm run audit:connector-package).
    expect(auditConnectorPackage(installedRoot)).toEqual({
      name: PACKAGE,
      version: '0.1.0',
      files: ['dist/acme.connector.js', 'dist/index.js'],
      requires: ['@audiencekit/connector-sdk', 'zod'],
      forbidden: [],
      unexpected: [],
      hosts: ['api.acme.example'],
    });
  });

  it('in a plain node process, as the worker runs, the package gets the host SDK: its errors are the host classes', async () => {
    // jest maps the SDK by moduleNameMapper; a real process has only the registry's resolver hook.
    const file = path.join(tmp, 'probe.ts');
    writeFileSync(
      file,
      `import { loadConnectors } from '@audiencekit/connector-registry';
import * as sdk from '@audiencekit/connector-sdk';
import { testContext } from '@audiencekit/connector-sdk/testing';
async function main() {
  const loaded = loadConnectors({ AK_CONNECTORS: 'webhook', AK_CONNECTOR_PACKAGES: ${JSON.stringify(PACKAGE)}, AK_CONNECTOR_PACKAGES_DIR: ${JSON.stringify(productDir)} });
  const acme = loaded.find((connector) => connector.slug === 'acme') as sdk.AnyConnectorDefinition;
  const context = (apiKey: string) => testContext(acme, { settings: {}, secrets: { apiKey }, baseUrl: ${JSON.stringify((fake as FakeVendorServer).url)} });
  await acme.testConnection(context('acme-test-key'));
  const refused = await acme.testConnection(context('a-wrong-key')).then(() => undefined, (error: unknown) => error);
  console.log(JSON.stringify({ slugs: loaded.map((c) => c.slug), source: sdk.connectorSourceOf(acme), hostClass: refused instanceof sdk.InvalidCredentialsError }));
}
main().catch((error) => { console.error(error); process.exit(1); });
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', file], { cwd: ROOT, env: cleanEnv() });
    expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({
      slugs: ['webhook', 'acme'],
      source: { kind: 'package', package: PACKAGE, version: '0.1.0' },
      hostClass: true,
    });
  }, 60_000);

  it('syncs a segment to its fake through the real engine; no control member reaches it', async () => {
    const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => (db as TestDatabase).dataSource.query(sql, params);
    const syncs = (app as INestApplicationContext).get(SyncService);
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('pkg_e2e', 'pkg_e2e', 'test', 'manual', 1) RETURNING id`,
    );
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
      [segment.id],
    );
    const members: { id: string; email: string }[] = [];
    for (let n = 1; n <= MEMBERS; n++) {
      const email = `pkg.m${n}.x@example.com`;
      const [profile] = await query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ first_name: `Member${n}` }]);
      await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, profile.id]);
      await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), $3)`, [
        segment.id,
        profile.id,
        segmentRun.id,
      ]);
      members.push({ id: profile.id, email });
    }
    const salt = 'pkg-e2e-activation';
    const sealed = new SecretBox(KEY_RING).seal(JSON.stringify({ apiKey: 'acme-test-key' }));
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ('acme', 'acme', $1, $2, $3) RETURNING id`,
      [{}, sealed.ciphertext, sealed.keyId],
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('pkg e2e', $1, $2, 'mirror', $3, $4, 'manual') RETURNING id`,
      [segment.id, destination.id, ACTIVATION_SHARE, salt],
    );

    const requested = await syncs.requestSync(activation.id);
    await syncs.execute(requested.id);
    expect(await syncs.getRun(requested.id)).toMatchObject({ status: 'succeeded' });

    const global = createHoldoutAssigner(GLOBAL_SALT, GLOBAL_SHARE);
    const control = createHoldoutAssigner(salt, ACTIVATION_SHARE);
    const heldOut = members.filter((member) => global.isControl(member.id) || control.isControl(member.id));
    const treated = members.filter((member) => !heldOut.includes(member));
    expect(heldOut.length).toBeGreaterThan(0);
    const wire = (fake as FakeVendorServer).requests
      .map((request) => `${request.path}\n${JSON.stringify(request.headers)}\n${request.rawBody}`)
      .join('\n');
    const occurrences = (needle: string) => wire.split(needle).length - 1;
    expect(treated.map((member) => [member.email, occurrences(member.email)])).toEqual(treated.map((member) => [member.email, 1]));
    expect(heldOut.filter((member) => wire.includes(member.email) || wire.includes(member.id))).toEqual([]);
  }, 60_000);
});
