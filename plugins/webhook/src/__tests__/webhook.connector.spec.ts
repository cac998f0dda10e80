import { createHmac } from 'node:crypto';
import { InvalidCredentialsError, PayloadValidationError, RetryableError } from '@audiencekit/connector-sdk';
import {
  describeConnectorContract,
  FakeVendorServer,
  startFakeVendor,
  testContext,
  testMember,
  testMembers,
} from '@audiencekit/connector-sdk/testing';
import { startWebhookReceiver } from '../fake/webhook-receiver';
import { createWebhookConnector, verifySignature } from '../index';

const SECRET = 'whsec_test_0123456789abcdef';
const NOW = Date.parse('2026-12-01T09:00:00Z');
const connector = createWebhookConnector({ now: () => NOW });
const startReceiver = () => startWebhookReceiver({ signingSecret: SECRET, now: () => NOW });
// The receiver used in these tests is a fake on 127.0.0.1, allowed as an operator would allow it
// (the core's ctx.http; AK_OUTBOUND_ALLOWED_HOSTS in a server).
const ALLOW_RECEIVER = { allowedHosts: () => ['127.0.0.1'] };

const ctxFor = (url: string, extra: { idempotencyKey?: string; includeTraits?: boolean; timeoutMs?: number } = {}) =>
  testContext(connector, {
    settings: { url, includeTraits: extra.includeTraits },
    secrets: { signingSecret: SECRET },
    idempotencyKey: extra.idempotencyKey,
    timeoutMs: extra.timeoutMs,
    audience: { externalId: 'act-1' },
    http: ALLOW_RECEIVER,
  });

describeConnectorContract('webhook', {
  connector,
  startFake: startReceiver,
  settings: (fake: FakeVendorServer) => ({ url: `${fake.url}/hooks/audiencekit` }),
  secrets: { signingSecret: SECRET },
  members: testMembers(3),
});

describe('webhook connector', () => {
  let receiver: FakeVendorServer;
  let url: string;
  beforeEach(async () => {
    receiver = await startReceiver();
    url = `${receiver.url}/hooks/audiencekit`;
  });
  afterEach(async () => {
    await receiver.stop();
  });

  it('posts entered members as one signed JSON batch with the idempotency key', async () => {
    const members = [
      testMember({ profileId: 'p1', email: 'ada@example.com', traits: { plan: 'gold' } }),
      testMember({ profileId: 'p2', phone: '+15550001' }),
    ];
    const outcomes = await connector.upsert(ctxFor(url, { idempotencyKey: 'batch-42' }), members);

    expect(outcomes).toEqual([
      { profileId: 'p1', status: 'delivered' },
      { profileId: 'p2', status: 'delivered' },
    ]);
    const [request] = receiver.requestsTo('POST /hooks/audiencekit');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe('batch-42');
    expect(request.body).toEqual({
      type: 'segment.entered',
      id: 'batch-42',
      sentAt: '2026-12-01T09:00:00.000Z',
      activationId: 'act-1',
      members: [
        { profileId: 'p1', identifiers: { email: 'ada@example.com' }, traits: { plan: 'gold' } },
        { profileId: 'p2', identifiers: { phone: '+15550001' }, traits: {} },
      ],
    });
  });

  it('posts exited members as segment.exited, without traits when so configured', async () => {
    await connector.remove(ctxFor(url, { includeTraits: false }), [
      testMember({ profileId: 'p9', externalId: 'crm-9', traits: { secret: 'x' } }),
    ]);
    expect(receiver.requests[0].body).toMatchObject({
      type: 'segment.exited',
      members: [{ profileId: 'p9', identifiers: { external_id: 'crm-9' } }],
    });
    expect((receiver.requests[0].body as { members: object[] }).members[0]).not.toHaveProperty('traits');
  });

  it('signs the raw body so a receiver can verify it with the shared secret', async () => {
    await connector.upsert(ctxFor(url), testMembers(2));
    const { rawBody, headers } = receiver.requests[0];
    const header = String(headers['x-audiencekit-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    // Recomputed here with node:crypto, independently of the plugin's signer.
    expect(Number(t)).toBe(NOW / 1000);
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${rawBody}`).digest('hex'));
    expect(verifySignature(header, rawBody, SECRET, NOW)).toBe(true);
    expect(verifySignature(header, rawBody.replace('user1', 'user9'), SECRET, NOW)).toBe(false);
    expect(verifySignature(header, rawBody, 'another-secret-of-length', NOW)).toBe(false);
    expect(verifySignature(header, rawBody, SECRET, NOW + 3_600_000)).toBe(false);
  });

  it('is refused by a receiver holding another secret (InvalidCredentialsError)', async () => {
    const ctx = testContext(connector, { settings: { url }, secrets: { signingSecret: 'not-the-receivers-secret' }, http: ALLOW_RECEIVER });
    await expect(connector.testConnection(ctx)).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(receiver.requests).toHaveLength(1);
  });

  it('pings the receiver in testConnection', async () => {
    await connector.testConnection(ctxFor(url));
    expect(receiver.requests[0].body).toMatchObject({ type: 'ping', members: [] });
  });

  it('turns 429 with Retry-After into a RetryableError with retryAfterMs', async () => {
    receiver.fault({ respond: { status: 429, headers: { 'Retry-After': '30' } } });
    const error = await connector.upsert(ctxFor(url), testMembers(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ retryAfterMs: 30_000, vendorCode: 'HTTP 429' });
  });

  it('turns 500 into a RetryableError and succeeds once the receiver recovers', async () => {
    receiver.fault({ times: 1, respond: { status: 500 } });
    const ctx = ctxFor(url, { idempotencyKey: 'same-batch' });
    await expect(connector.upsert(ctx, testMembers(1))).rejects.toBeInstanceOf(RetryableError);
    await expect(connector.upsert(ctx, testMembers(1))).resolves.toHaveLength(1);
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual(['same-batch', 'same-batch']);
  });

  it.each([401, 403])('turns %i into InvalidCredentialsError', async (status) => {
    receiver.fault({ respond: { status } });
    await expect(connector.testConnection(ctxFor(url))).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('turns 400 into PayloadValidationError', async () => {
    receiver.fault({ respond: { status: 400, body: { error: 'bad' } } });
    await expect(connector.upsert(ctxFor(url), testMembers(1))).rejects.toBeInstanceOf(PayloadValidationError);
  });

  it('turns a hanging receiver into a RetryableError at the core timeout', async () => {
    receiver.fault({ hang: true });
    await expect(connector.upsert(ctxFor(url, { timeoutMs: 300 }), testMembers(1))).rejects.toMatchObject({
      code: 'retryable',
      vendorCode: 'timeout',
    });
  });

  it('turns a reset connection into a RetryableError', async () => {
    receiver.fault({ reset: true });
    await expect(connector.upsert(ctxFor(url), testMembers(1))).rejects.toBeInstanceOf(RetryableError);
  });

  describe('server-side request forgery', () => {
    it.each([
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://172.20.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://0.0.0.0/hook',
      'http://2852039166/latest' /* 169.254.169.254 in decimal */,
      'http://[64:ff9b::7f00:1]/hook',
      'http://[2002:a9fe:a9fe::1]/latest',
      'http://198.18.0.1/hook',
    ])('refuses the private target %s before any request', async (target) => {
      await expect(connector.upsert(ctxFor(target), testMembers(1))).rejects.toMatchObject({
        code: 'payload_validation',
        vendorCode: 'refused_target',
      });
    });

    it('refuses localhost when only 127.0.0.1 is allowed', async () => {
      const viaName = url.replace('127.0.0.1', 'localhost');
      await expect(connector.upsert(ctxFor(viaName), testMembers(1))).rejects.toThrow(/localhost is loopback/);
      expect(receiver.requests).toHaveLength(0);
    });

    it('refuses loopback with no allow-list at all', async () => {
      const ctx = testContext(connector, { settings: { url }, secrets: { signingSecret: SECRET }, http: { allowedHosts: () => [] } });
      await expect(connector.upsert(ctx, testMembers(1))).rejects.toBeInstanceOf(PayloadValidationError);
      expect(receiver.requests).toHaveLength(0);
    });

    it.each(['AK_OUTBOUND_ALLOWED_HOSTS', 'AK_WEBHOOK_ALLOWED_HOSTS'])(
      'reads the allow-list from %s at call time (the default of ctx.http)',
      async (variable) => {
        const ctx = testContext(connector, { settings: { url }, secrets: { signingSecret: SECRET } });
        const saved = process.env[variable];
        try {
          process.env[variable] = 'example.org, 127.0.0.1';
          await expect(connector.upsert(ctx, testMembers(1))).resolves.toHaveLength(1);
          process.env[variable] = 'example.org';
          await expect(connector.upsert(ctx, testMembers(1))).rejects.toBeInstanceOf(PayloadValidationError);
        } finally {
          if (saved === undefined) delete process.env[variable];
          else process.env[variable] = saved;
        }
      },
    );

    it('connects through the guarded lookup to an allow-listed host name', async () => {
      const ctx = testContext(connector, {
        settings: { url: url.replace('127.0.0.1', 'localhost') },
        secrets: { signingSecret: SECRET },
        http: { allowedHosts: () => ['localhost'] },
      });
      await expect(connector.upsert(ctx, testMembers(1))).resolves.toHaveLength(1);
      expect(receiver.requests).toHaveLength(1);
    });

    it('refuses a host name that re-resolves to loopback after the check (DNS rebinding)', async () => {
      const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
      let calls = 0;
      const port = new URL(url).port;
      const http = { allowedHosts: () => [], resolve: async () => answers[Math.min(calls++, 1)] };
      const ctx = testContext(connector, {
        settings: { url: `http://rebind.example:${port}/hooks/audiencekit` },
        secrets: { signingSecret: SECRET },
        http,
      });
      await expect(connector.upsert(ctx, testMembers(1))).rejects.toMatchObject({
        code: 'payload_validation',
        vendorCode: 'refused_target',
      });
      expect(calls).toBe(2); // the pre-check, then the connection's own lookup
      expect(receiver.requests).toHaveLength(0);
    });

    it('refuses a host name with one private address among public ones', async () => {
      const http = {
        allowedHosts: () => [],
        resolve: async () => [
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ],
      };
      const ctx = testContext(connector, { settings: { url: 'http://mixed.example/hook' }, secrets: { signingSecret: SECRET }, http });
      await expect(connector.upsert(ctx, testMembers(1))).rejects.toThrow(/mixed.example resolves to the private address 10.0.0.7/);
    });

    it('does not follow a redirect (to a private target or anywhere)', async () => {
      const inner = await startFakeVendor({ routes: { 'POST /internal': () => ({ status: 200 }) } });
      try {
        receiver.fault({ respond: { status: 307, headers: { Location: `${inner.url.replace('127.0.0.1', 'localhost')}/internal` } } });
        await expect(connector.upsert(ctxFor(url), testMembers(1))).rejects.toMatchObject({
          code: 'connector_error',
          vendorCode: 'HTTP 307',
        });
        expect(inner.requests).toHaveLength(0);
      } finally {
        await inner.stop();
      }
    });

    it('refuses a non-http scheme in settings', () => {
      expect(() => ctxFor('file:///etc/passwd')).toThrow(/url/);
    });
  });
});
