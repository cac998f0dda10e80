import { connect } from 'node:net';
import { ApiKeyService } from '@audiencekit/server-core';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';

const BODY_READ_TIMEOUT_MS = 800;

/**
 * Sends the request head and `sentBytes` of a body announced as `announcedBytes`, never the rest,
 * and resolves, once the server has closed the connection, with its answer and how long that took.
 */
function halfSentRequest(
  baseUrl: string,
  options: { path: string; headers: Record<string, string>; announcedBytes: number; sentBytes: number },
): Promise<{ status: number; text: string; ms: number }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    const finish = () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      socket.destroy();
      resolve({ status, text: received, ms: Date.now() - started });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
    });
    // Resolves when the server closes the connection: the unread rest of the body is not waited for.
    socket.on('close', () => (received ? finish() : reject(new Error('closed without an answer'))));
    socket.on('error', () => undefined);
    const head = [
      `POST ${options.path} HTTP/1.1`,
      `Host: ${url.host}`,
      `Content-Length: ${options.announcedBytes}`,
      ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    socket.write('x'.repeat(options.sentBytes));
  });
}

describe('request transport: what the API reads, and from whom', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let writeKey: string;
  let adminKey: string;
  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url, { AK_BODY_READ_TIMEOUT_MS: String(BODY_READ_TIMEOUT_MS) });
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    writeKey = (await api.app.get(ApiKeyService).create('write', 'write')).secret;
    adminKey = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  describe('admin routes take JSON and Bearer only', () => {
    const segment = { key: 'vip', name: 'VIP', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition };

    it('refuses HTTP Basic and x-api-key with 401 and the reason', async () => {
      const transports: Record<string, string>[] = [{ authorization: basic(marketerKey) }, { 'x-api-key': marketerKey }];
      for (const headers of transports) {
        const response = await fetch(`${api.baseUrl}/segments`, { headers });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({
          statusCode: 401,
          code: 'bearer_required',
          message: expect.stringContaining('Authorization: Bearer'),
        });
      }
      expect((await fetch(`${api.baseUrl}/segments`, { headers: { authorization: `Bearer ${marketerKey}` } })).status).toBe(200);
    });

    it('refuses form and other non-JSON bodies with 415, and writes nothing', async () => {
      const form = new URLSearchParams({ key: 'vip', name: 'VIP', owner: 'crm', definition: JSON.stringify(segment.definition) });
      for (const [contentType, body] of [
        ['application/x-www-form-urlencoded', form.toString()],
        ['text/plain', JSON.stringify(segment)],
        ['application/xml', '<segment/>'],
      ]) {
        const response = await fetch(`${api.baseUrl}/segments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${marketerKey}`, 'content-type': contentType },
          body,
        });
        expect({ contentType, status: response.status }).toEqual({ contentType, status: 415 });
        expect(await response.json()).toMatchObject({
          statusCode: 415,
          code: 'unsupported_media_type',
          message: expect.stringContaining('application/json'),
        });
      }
      expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM segments`))[0].n).toBe(0);
      const json = await fetch(`${api.baseUrl}/segments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(segment),
      });
      expect(json.status).toBe(201);
    });

    it('keeps HTTP Basic and non-JSON content types on the tracking routes (Segment and RudderStack clients)', async () => {
      const track = { userId: 'u1', event: 'Signed Up', messageId: 'transport-1' };
      const ok = await fetch(`${api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: basic(writeKey), 'content-type': 'application/json' },
        body: JSON.stringify(track),
      });
      expect(ok.status).toBe(200);
      const form = await fetch(`${api.baseUrl}/v1/batch`, {
        method: 'POST',
        headers: { authorization: basic(writeKey), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'batch=1',
      });
      expect(form.status).toBe(400);
      expect(await form.json()).toMatchObject({ code: 'invalid_json' });
    });
  });

  describe('a body is read only after the key is checked', () => {
    it.each([
      ['an admin route, wrong bearer key', '/segments', { authorization: 'Bearer not-a-key', 'content-type': 'application/json' }],
      ['an admin route, no key', '/segments', { 'content-type': 'application/json' }],
      ['a tracking route, wrong write key', '/v1/batch', { authorization: basic('not-a-key'), 'content-type': 'application/json' }],
    ])('%s: a 400 KB body never fully sent gets a 401 at once', async (_label, path, headers) => {
      const answer = await halfSentRequest(api.baseUrl, { path, headers, announcedBytes: 400 * 1024, sentBytes: 1024 });
      expect(answer.status).toBe(401);
      expect(answer.ms).toBeLessThan(BODY_READ_TIMEOUT_MS);
    });

    it.each([
      ['a write key as HTTP Basic', () => basic(writeKey), 401, 'bearer_required'],
      ['an admin key as HTTP Basic', () => basic(adminKey), 401, 'bearer_required'],
      ['a write key as Bearer', () => `Bearer ${writeKey}`, 403, 'insufficient_role'],
    ])('an admin route, %s: a 400 KB body never fully sent is refused at once, as the guard would', async (_label, auth, status, code) => {
      const headers = { authorization: auth(), 'content-type': 'application/json' };
      const answer = await halfSentRequest(api.baseUrl, { path: '/segments', headers, announcedBytes: 400 * 1024, sentBytes: 1024 });
      expect(answer.status).toBe(status);
      expect(answer.text).toContain(`"code":"${code}"`);
      expect(answer.ms).toBeLessThan(BODY_READ_TIMEOUT_MS);
    });

    it('a tracking route, an admin key: a 400 KB body never fully sent gets a 403 insufficient_role at once', async () => {
      const headers = { authorization: basic(adminKey), 'content-type': 'application/json' };
      const answer = await halfSentRequest(api.baseUrl, { path: '/v1/batch', headers, announcedBytes: 400 * 1024, sentBytes: 1024 });
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('"code":"insufficient_role"');
      expect(answer.ms).toBeLessThan(BODY_READ_TIMEOUT_MS);
    });

    it.each([
      ['an admin route', '/segments', () => `Bearer ${marketerKey}`],
      ['a tracking route', '/v1/batch', () => basic(writeKey)],
    ])('%s: when the key lookup fails, a 503 database_unavailable with Retry-After, the body unread', async (_label, path, auth) => {
      const lookup = jest.spyOn(api.app.get(ApiKeyService), 'authenticate').mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
      try {
        const headers = { authorization: auth(), 'content-type': 'application/json' };
        const answer = await halfSentRequest(api.baseUrl, { path, headers, announcedBytes: 400 * 1024, sentBytes: 1024 });
        expect(answer.status).toBe(503);
        expect(answer.text).toContain('"code":"database_unavailable"');
        expect(answer.text.toLowerCase()).toContain('retry-after: 5');
        expect(answer.ms).toBeLessThan(BODY_READ_TIMEOUT_MS);
      } finally {
        lookup.mockRestore();
      }
    });

    it.each([
      ['an admin route', '/segments', () => ({ authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json' })],
      ['a tracking route', '/v1/batch', () => ({ authorization: basic(writeKey), 'content-type': 'application/json' })],
    ])('%s: a body from a valid key that stops arriving is answered 408 body_timeout', async (_label, path, headers) => {
      const answer = await halfSentRequest(api.baseUrl, { path, headers: headers(), announcedBytes: 10_000, sentBytes: 100 });
      expect(answer.status).toBe(408);
      expect(answer.text).toContain('"code":"body_timeout"');
      expect(answer.ms).toBeGreaterThanOrEqual(BODY_READ_TIMEOUT_MS - 50);
    });
  });
});
