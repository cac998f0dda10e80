import { gzipSync } from 'node:zlib';
import { ApiKeyService } from '@audiencekit/server-core';
import type { TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { basicAuth, countRows, startTrackingApi, stopTrackingApi } from './tracking-test-kit';

// Bad input gets a 400 (401/403 for keys) with the reason, and writes nothing.
describe('tracking API: bad input', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let writeKey: string;

  beforeAll(async () => {
    ({ db, api, writeKey } = await startTrackingApi());
  });
  afterAll(() => stopTrackingApi({ db, api }));

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey), ...headers },
      body,
    });
  const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body));

  /** Sends a request that must fail, and checks that no row was written. */
  async function expectRejected(send: () => Promise<Response>, status: number, code: string, reason?: RegExp) {
    const before = await countRows(db.dataSource);
    const response = await send();
    const body = (await response.json()) as {
      statusCode: number;
      code: string;
      message: string;
      details?: { path: string; message: string }[];
    };
    expect({ status: response.status, code: body.code }).toEqual({ status, code });
    if (reason) expect(body.message).toMatch(reason);
    expect(await countRows(db.dataSource)).toEqual(before);
    return body;
  }

  const track = (extra: Record<string, unknown> = {}) => ({ userId: 'u-ok', event: 'Viewed', ...extra });

  it('answers 401 to a wrong or missing write key, and 403 to an admin key', async () => {
    await expectRejected(
      () => post('/v1/track', JSON.stringify(track()), { authorization: basicAuth('wk_not_a_key') }),
      401,
      'invalid_api_key',
    );
    await expectRejected(() => fetch(`${api.baseUrl}/v1/track`, { method: 'POST', body: JSON.stringify(track()) }), 401, 'missing_api_key');
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    await expectRejected(
      () => post('/v1/batch', JSON.stringify({ batch: [{ type: 'track', ...track() }] }), { authorization: basicAuth(admin) }),
      403,
      'insufficient_role',
    );
  });

  it('checks the key before the body: a wrong key with a broken body is still a 401', async () => {
    await expectRejected(() => post('/v1/track', '{oops', { authorization: basicAuth('wk_wrong') }), 401, 'invalid_api_key');
  });

  it('rejects a body that is not JSON', async () => {
    await expectRejected(() => post('/v1/track', '{"userId": "u", "event": '), 400, 'invalid_json', /not valid JSON/);
    await expectRejected(() => post('/v1/batch', 'batch=1', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'invalid_json');
    await expectRejected(() => post('/v1/track', ''), 400, 'invalid_json', /empty/);
    await expectRejected(() => post('/v1/track', Buffer.from([0xef, 0xbb, 0xbf])), 400, 'invalid_json', /not valid JSON/);
    await expectRejected(() => post('/v1/track', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'invalid_json', /UTF-8/);
  });

  it('names each field of the wrong type', async () => {
    const body = await expectRejected(
      () => postJson('/v1/track', { userId: ['u'], event: 12, properties: 'cheap' }),
      400,
      'invalid_message',
    );
    expect(body.details?.map((detail) => detail.path).sort()).toEqual(['event', 'properties', 'userId']);
  });

  it('rejects a message without userId and anonymousId', async () => {
    await expectRejected(
      () => postJson('/v1/identify', { traits: { email: 'a@b.io' } }),
      400,
      'invalid_message',
      /userId or anonymousId is required/,
    );
  });

  it('rejects timestamps that do not parse', async () => {
    const body = await expectRejected(
      () => postJson('/v1/track', track({ timestamp: 'last tuesday' })),
      400,
      'invalid_message',
      /ISO 8601/,
    );
    expect(body.details).toEqual([{ path: 'timestamp', message: 'is not an ISO 8601 date-time: "last tuesday"' }]);
  });

  it('rejects deeply nested properties', async () => {
    const deep = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    await expectRejected(
      () => post('/v1/track', `{"userId":"u","event":"x","properties":${deep}}`),
      400,
      'invalid_message',
      /properties nests deeper than 16 levels/,
    );
    const seventeen = '{"a":'.repeat(17) + '1' + '}'.repeat(17);
    await expectRejected(
      () => post('/v1/batch', `{"batch":[{"type":"track","userId":"u","event":"x","context":${seventeen}}]}`),
      400,
      'invalid_batch',
      /batch\[0\]\.context nests deeper/,
    );
  });

  it('validates the batch-level context like a message context: too deep, NUL, lone surrogate → 400 naming `context`', async () => {
    const message = '{"type":"track","userId":"u","event":"x"}';
    const seventeen = '{"a":'.repeat(17) + '1' + '}'.repeat(17);
    const body = await expectRejected(
      () => post('/v1/batch', `{"batch":[${message}],"context":${seventeen}}`),
      400,
      'invalid_batch',
      /context nests deeper than 16 levels/,
    );
    expect(body.details?.[0]?.path).toBe('context');
    await expectRejected(
      () => post('/v1/batch', `{"batch":[${message}],"context":{"page":{"title":"a\\u0000b"}}}`),
      400,
      'invalid_batch',
      /context contains a NUL character/,
    );
    await expectRejected(
      () => post('/v1/batch', `{"batch":[${message}],"context":{"page":{"title":"a\\ud800b"}}}`),
      400,
      'invalid_batch',
      /context contains an unpaired UTF-16 surrogate/,
    );
    await expectRejected(
      () => post('/v1/batch', `{"batch":[${message}],"context":{"bad\\u0000key":1}}`),
      400,
      'invalid_batch',
      /context contains a NUL character/,
    );
  });

  it('rejects a 10 MB body with 400 (plain, and gzip that inflates to 10 MB)', async () => {
    const huge = JSON.stringify({ batch: [{ type: 'track', ...track({ properties: { blob: 'x'.repeat(10 * 1024 * 1024) } }) }] });
    await expectRejected(() => post('/v1/batch', huge), 400, 'body_too_large', /limit for a batch request \(500 KB\) is 512000 bytes/);
    await expectRejected(() => post('/v1/batch', gzipSync(huge), { 'content-encoding': 'gzip' }), 400, 'body_too_large', /once inflated/);
  });

  it('applies 32 KB to a single message and to each message of a batch, 500 KB to a batch', async () => {
    const big = track({ properties: { blob: 'x'.repeat(33 * 1024) } });
    await expectRejected(() => postJson('/v1/track', big), 400, 'body_too_large', /single message \(32 KB\)/);
    const body = await expectRejected(() => postJson('/v1/batch', { batch: [{ type: 'track', ...big }] }), 400, 'invalid_batch');
    expect(body.details).toEqual([{ path: 'batch[0]', message: expect.stringMatching(/at most 32768 \(32 KB\)/) }]);
    const many = Array.from({ length: 20 }, (_, n) => ({
      type: 'track',
      ...track({ messageId: `m-${n}`, properties: { blob: 'x'.repeat(30 * 1024) } }),
    }));
    await expectRejected(() => postJson('/v1/batch', { batch: many }), 400, 'body_too_large');
  });

  it('rejects an unsupported content-encoding and a corrupt gzip body', async () => {
    await expectRejected(() => post('/v1/track', JSON.stringify(track()), { 'content-encoding': 'br' }), 400, 'unsupported_encoding');
    await expectRejected(
      () => post('/v1/track', Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }),
      400,
      'invalid_compression',
    );
  });

  it('stores the valid messages of a batch and reports the invalid ones by index', async () => {
    const response = await postJson('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u-partial', event: 'Kept', messageId: 'partial-1' },
        { type: 'track', event: 'No ids', messageId: 'partial-2' },
        { type: 'track', userId: 'u-partial', event: 'Kept too', messageId: 'partial-3', timestamp: '2024-05-01T00:00:00Z' },
        { type: 'identify', userId: 'u-partial', timestamp: 'never' },
      ],
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      success: true,
      stored: 2,
      duplicates: 0,
      rejected: [
        { index: 1, messageId: 'partial-2', errors: [{ path: 'userId', message: 'userId or anonymousId is required' }] },
        { index: 3, errors: [{ path: 'timestamp', message: 'is not an ISO 8601 date-time: "never"' }] },
      ],
    });
    const stored = await db.dataSource.query(`SELECT message_id FROM events WHERE message_id LIKE 'partial-%' ORDER BY 1`);
    expect(stored).toEqual([{ message_id: 'partial-1' }, { message_id: 'partial-3' }]);
  });

  it('answers 400 and writes nothing when no message of a batch is valid', async () => {
    const body = await expectRejected(
      () => postJson('/v1/batch', { batch: [{ type: 'track', event: 'x' }, { type: 'nope' }] }),
      400,
      'invalid_batch',
      /no message of the batch is valid/,
    );
    expect(body.details?.map((detail) => detail.path)).toEqual(['batch[0].userId', 'batch[1].type']);
  });

  it('skips a UTF-8 byte order mark before the JSON', async () => {
    const json = JSON.stringify({ batch: [{ type: 'track', userId: 'u-bom', event: 'Marked', messageId: 'bom-1' }] });
    const response = await post('/v1/batch', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]));
    expect(await response.json()).toEqual({ success: true, stored: 1, duplicates: 0, rejected: [] });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id = 'bom-1'`)).toEqual([{ n: 1 }]);
  });

  it('accepts gzip bodies and stores a retried messageId once', async () => {
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u-gzip', event: 'Zipped', messageId: 'gzip-1' }] }));
    const first = await post('/v1/batch', body, { 'content-encoding': 'gzip' });
    const retry = await post('/v1/b', body, { 'content-encoding': 'gzip' });
    expect(await first.json()).toEqual({ success: true, stored: 1, duplicates: 0, rejected: [] });
    expect(await retry.json()).toEqual({ success: true, stored: 0, duplicates: 1, rejected: [] });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id = 'gzip-1'`)).toEqual([{ n: 1 }]);
  });
});
