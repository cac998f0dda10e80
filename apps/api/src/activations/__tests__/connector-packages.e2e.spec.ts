import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SDK_VERSION } from '@audiencekit/connector-sdk';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';

const ROOT = path.resolve(__dirname, '../../../../..');

/**
 * The API as shipped with AK_CONNECTOR_PACKAGES (#25): GET /connectors lists a packaged connector
 * beside the built-in ones, with its source (package and version), and its form as JSON Schema.
 */
describe('GET /connectors with a connector package installed', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let dir: string;
  const saved = {
    packages: process.env['AK_CONNECTOR_PACKAGES'],
    dir: process.env['AK_CONNECTOR_PACKAGES_DIR'],
    only: process.env['AK_CONNECTORS'],
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ak-api-packages-'));
    const root = path.join(dir, 'node_modules/@acme/audiencekit-acme');
    mkdirSync(root, { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules/zod'), path.join(dir, 'node_modules/zod'), 'dir');
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({
        name: '@acme/audiencekit-acme',
        version: '2.4.1',
        peerDependencies: { '@audiencekit/connector-sdk': `^${SDK_VERSION}` },
      }),
    );
    writeFileSync(
      path.join(root, 'index.js'),
      `const { z } = require('zod');
const { allDelivered } = require('@audiencekit/connector-sdk');
exports.connectors = [{
  slug: 'acme', displayName: 'Acme', channel: 'email', deliveryModel: 'list',
  settings: z.object({ listPrefix: z.string().default('audiencekit') }), secrets: z.object({ apiKey: z.string().min(8) }),
  requiredIdentifiers: ['email'], limits: { maxBatchSize: 100 },
  testConnection: async () => {}, upsert: async (ctx, members) => allDelivered(members),
}];
`,
    );
    process.env['AK_CONNECTORS'] = 'webhook';
    process.env['AK_CONNECTOR_PACKAGES'] = '@acme/audiencekit-acme';
    process.env['AK_CONNECTOR_PACKAGES_DIR'] = dir;
    db = await createTestDatabase();
    // The API reads its connectors when its modules are first imported: import it only now.
    const { startTestApi } = (await import('../../../test/api-test-app')) as typeof import('../../../test/api-test-app');
    api = await startTestApi(db.url);
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    for (const [key, value] of [
      ['AK_CONNECTOR_PACKAGES', saved.packages],
      ['AK_CONNECTOR_PACKAGES_DIR', saved.dir],
      ['AK_CONNECTORS', saved.only],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the packaged connector with its package and version, the built-in one as built in', async () => {
    const viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    // fetch rather than the activations test helpers: they import the API's modules before the environment is set.
    const answer = await fetch(`${api.baseUrl}/connectors`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(answer.status).toBe(200);
    const response = { body: (await answer.json()) as { items: any[] } };
    expect(response.body.items.map((item: any) => [item.slug, item.source])).toEqual([
      ['acme', { kind: 'package', package: '@acme/audiencekit-acme', version: '2.4.1' }],
      ['webhook', { kind: 'built-in' }],
    ]);
    const acme = response.body.items.find((item: any) => item.slug === 'acme');
    expect(acme.secrets).toMatchObject({ type: 'object', required: ['apiKey'] });
  });
});
