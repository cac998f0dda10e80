import { z } from 'zod';
import { DestinationEntity } from '@audiencekit/persistence';
import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { defineConnector, hostSettingPaths } from '@audiencekit/connector-sdk';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi, TEST_SECRETS_KEYS } from './activations-test-app';

// Issue #16: hosts named in destination settings are refused on save when private, re-checked when
// a connection is made, never get the sealed secrets without the admin supplying them again, and
// are shown to viewers and marketers without credentials or query strings. Every request of this
// file goes to 127.0.0.1; private targets are only ever refused, never connected to.

const SIGNING_SECRET = 'whsec_test_0123456789abcdef';

/** A test connector with a nested, array-valued host field: the walk must find those too. */
const nestedHosts = defineConnector({
  slug: 'test-nested-hosts',
  displayName: 'Nested hosts',
  channel: 'webhook',
  deliveryModel: 'list',
  settings: z.object({
    name: z.string(),
    mirrors: z.array(z.object({ endpoint: z.string() })).default([]),
    auth: z.object({ issuerUrl: z.url().optional() }).default({}),
  }),
  secrets: z.object({ token: z.string().min(1) }),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 10 },
  testConnection: async () => undefined,
});

const CONNECTORS = [...REGISTERED_CONNECTORS, nestedHosts];
const settingsAt = (path: string, value: string): Record<string, unknown> => {
  const root: Record<string, unknown> = {};
  let node = root;
  const parts = path.split('.');
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    const key = part.replace(/\[\]$/, '');
    const child = last ? value : {};
    node[key] = part.endsWith('[]') ? [child] : child;
    if (!last) node = child as Record<string, unknown>;
  });
  return root;
};

describe('outbound URLs in destination settings (#16)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let listener: FakeVendorServer;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const call = (method: string, path: string, body?: unknown, key = keys.admin) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    listener = await startFakeVendor({
      routes: { 'POST /hook': () => ({ status: 204 }), 'POST /token': () => ({ status: 200, body: { access_token: 'x' } }) },
    });
    db = await createTestDatabase();
    const saved = { outbound: process.env.AK_OUTBOUND_ALLOWED_HOSTS, webhook: process.env.AK_WEBHOOK_ALLOWED_HOSTS };
    delete process.env.AK_OUTBOUND_ALLOWED_HOSTS;
    delete process.env.AK_WEBHOOK_ALLOWED_HOSTS;
    restoreEnv = () => {
      for (const [name, value] of [
        ['AK_OUTBOUND_ALLOWED_HOSTS', saved.outbound],
        ['AK_WEBHOOK_ALLOWED_HOSTS', saved.webhook],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
    api = await startActivationsTestApi(db.url, { connectors: CONNECTORS });
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
  }, 30_000);
  let restoreEnv = () => undefined as void;

  afterAll(async () => {
    await api.close();
    await db.drop();
    await listener.stop();
    restoreEnv();
  });

  describe('every host-like field of every registered connector is refused on save when private', () => {
    let served: { slug: string; settings: unknown }[];
    beforeAll(async () => {
      served = (await call('GET', '/connectors', undefined, keys.viewer)).body.items;
    });

    it('finds the host-like fields in the JSON Schema served by GET /connectors', () => {
      const fields = Object.fromEntries(served.map((connector) => [connector.slug, hostSettingPaths(connector.settings).sort()]));
      expect(fields).toMatchObject({
        webhook: ['url'],
        twilio: ['statusCallbackUrl'],
        'google-ads': [],
        'test-nested-hosts': ['auth.issuerUrl', 'mirrors[].endpoint'],
      });
    });

    it.each([
      'http://127.0.0.1:9/x',
      'http://[::1]/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://localhost:5432/',
    ])('refuses %s in each field with a 400 naming it', async (target) => {
      const walked: string[] = [];
      for (const connector of served) {
        for (const path of hostSettingPaths(connector.settings)) {
          walked.push(`${connector.slug}:${path}`);
          const response = await call('POST', '/destinations', {
            name: 'walk',
            connector: connector.slug,
            settings: settingsAt(path, target),
            secrets: {},
          });
          expect(response.status).toBe(400);
          expect(response.body.details).toContainEqual({ path: `settings.${path}`, message: expect.stringMatching(/private|loopback/) });
        }
      }
      expect(walked.length).toBeGreaterThanOrEqual(4);
      expect(await db.dataSource.getRepository(DestinationEntity).countBy({ name: 'walk' })).toBe(0);
    });

    it('accepts a public host name (resolved and checked when a connection is made, not on save)', async () => {
      const created = await call('POST', '/destinations', {
        name: 'public',
        connector: 'webhook',
        settings: { url: 'https://hooks.example.com/in' },
        secrets: { signingSecret: SIGNING_SECRET },
      });
      expect(created.status).toBe(201);
    });
  });

  it('checks a stored private target again when a marketer tests the connection: refused, nothing sent', async () => {
    // A row saved before the check existed (or written around the API).
    const repository = db.dataSource.getRepository(DestinationEntity);
    const sealed = new SecretBox(TEST_SECRETS_KEYS).seal(JSON.stringify({ signingSecret: SIGNING_SECRET }));
    const row = await repository.save(
      repository.create({
        name: 'old',
        connector: 'webhook',
        settings: { url: `${listener.url}/hook`, includeTraits: true },
        secretsCiphertext: sealed.ciphertext,
        secretsKeyId: sealed.keyId,
      }),
    );
    const tested = await call('POST', `/destinations/${row.id}/test`, undefined, keys.marketer);
    expect(tested.status).toBe(200);
    expect(tested.body).toEqual({
      ok: false,
      error: { code: 'payload_validation', vendorCode: 'refused_target', message: expect.stringMatching(/127\.0\.0\.1.*private/) },
    });
    expect(listener.requests).toHaveLength(0);
  });

  describe('changing a host-like setting requires the secrets again', () => {
    let id: string;
    beforeAll(async () => {
      const created = await call('POST', '/destinations', {
        name: 'hook',
        connector: 'webhook',
        settings: { url: 'https://hooks.example.com/a' },
        secrets: { signingSecret: SIGNING_SECRET },
      });
      id = created.body.id;
    });

    it('refuses a new URL without secrets with a 400 naming the field and the reason, and writes nothing', async () => {
      const refused = await call('PATCH', `/destinations/${id}`, { settings: { url: 'https://attacker.example.net/collect' } });
      expect(refused.status).toBe(400);
      expect(refused.body.details).toEqual([{ path: 'settings.url', message: expect.stringMatching(/secrets/) }]);
      const row = await db.dataSource.getRepository(DestinationEntity).findOneByOrFail({ id });
      expect(row.settings).toMatchObject({ url: 'https://hooks.example.com/a' });
    });

    it('accepts the new URL with the secrets, and other settings without them', async () => {
      const moved = await call('PATCH', `/destinations/${id}`, {
        settings: { url: 'https://hooks.example.com/b' },
        secrets: { signingSecret: SIGNING_SECRET },
      });
      expect(moved.status).toBe(200);
      const sameHost = await call('PATCH', `/destinations/${id}`, {
        settings: { url: 'https://hooks.example.com/b', includeTraits: false },
      });
      expect(sameHost.status).toBe(200);
      expect(sameHost.body.settings).toEqual({ url: 'https://hooks.example.com/b', includeTraits: false });
    });
  });

  describe('URLs shown below admin', () => {
    let id: string;
    const URL_WITH_TOKENS = 'https://crm-user:crm-pass@hooks.example.com/in/abc?token=sekrit&sig=1';
    beforeAll(async () => {
      id = (
        await call('POST', '/destinations', {
          name: 'tokens',
          connector: 'webhook',
          settings: { url: URL_WITH_TOKENS },
          secrets: { signingSecret: SIGNING_SECRET },
        })
      ).body.id;
    });

    it.each(['viewer', 'marketer'] as const)(
      'a %s sees the URL without userinfo or query, in one destination and in the list',
      async (role) => {
        const one = await call('GET', `/destinations/${id}`, undefined, keys[role]);
        expect(one.status).toBe(200);
        expect(one.body.settings.url).toBe('https://***:***@hooks.example.com/in/abc?***');
        const list = await call('GET', '/destinations?limit=500', undefined, keys[role]);
        const listed = list.body.items.find((item: any) => item.id === id);
        expect(listed.settings.url).toBe('https://***:***@hooks.example.com/in/abc?***');
        expect(JSON.stringify(list.body)).not.toMatch(/crm-pass|sekrit/);
      },
    );

    it('an admin sees the URL as saved', async () => {
      expect((await call('GET', `/destinations/${id}`)).body.settings.url).toBe(URL_WITH_TOKENS);
    });
  });
});
