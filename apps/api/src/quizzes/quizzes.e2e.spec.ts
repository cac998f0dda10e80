import { gzipSync } from 'node:zlib';
import { ApiKeyService } from '@audiencekit/server-core';
import { onAdmin } from '@audiencekit/testing';
import {
  basicAuth,
  countRows,
  createWriteKey,
  profileOf,
  startTrackingApi,
  stopTrackingApi,
  TrackingTestApi,
} from '../tracking/__tests__/tracking-test-kit';

/**
 * Quizzes through the real API on a real Postgres: admin routes by role, the client routes with a
 * source's write key as the tracking API takes it, each bad answer a 400 naming its question with
 * nothing written, and a valid answer on the profile and in a rules segment preview at once.
 */
describe('quizzes API', () => {
  let kit: TrackingTestApi;
  let marketer: string;
  let viewer: string;
  let clientKey: string;
  // The answers' shapes are what the tests assert.
  const call = async (method: string, path: string, authorization: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${kit.api.baseUrl}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const definition = {
    title: 'Shopping style',
    questions: [
      {
        id: 'budget',
        text: 'What matters most?',
        kind: 'single',
        required: true,
        trait: 'priority',
        options: [{ value: 'price', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }],
      },
      { id: 'age', text: 'Your age?', kind: 'number', trait: 'age', min: 13, max: 120 },
    ],
  };

  beforeAll(async () => {
    kit = await startTrackingApi();
    marketer = `Bearer ${(await kit.api.app.get(ApiKeyService).create('marketer', 'marketer')).secret}`;
    viewer = `Bearer ${(await kit.api.app.get(ApiKeyService).create('viewer', 'viewer')).secret}`;
    clientKey = basicAuth(await createWriteKey(kit.api, 'client'));
  });
  afterAll(async () => {
    await stopTrackingApi(kit ?? {});
  });

  it('admin routes: viewers read, marketers write, a bad definition is a 400 naming the path, write keys are refused', async () => {
    expect((await call('POST', '/quizzes', viewer, { key: 'style', owner: 'crm', definition })).status).toBe(403);
    const bad = await call('POST', '/quizzes', marketer, {
      key: 'style',
      owner: 'crm',
      definition: { title: 'x', questions: [{ id: 'q', text: 't', kind: 'number' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'invalid_quiz',
      details: [{ path: 'definition.questions.0.trait', message: 'is required for a number question' }],
    });
    const created = await call('POST', '/quizzes', marketer, { key: 'style', owner: 'crm', definition });
    expect([created.status, created.body.version]).toEqual([201, 1]);
    expect((await call('GET', '/quizzes/style', viewer)).body.title).toBe('Shopping style');
    expect((await call('GET', '/quizzes', clientKey)).status).toBe(401);
    expect(
      (await call('POST', '/quizzes', kit.writeKey ? basicAuth(kit.writeKey) : '', { key: 'x', owner: 'crm', definition })).status,
    ).toBe(401);
  });

  it('client routes take a write key as tracking does: Basic with a client or server key; an admin key is refused', async () => {
    const served = await call('GET', '/v1/quizzes/style', clientKey);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({
      key: 'style',
      version: 1,
      questions: [
        { id: 'budget', required: true },
        { id: 'age', min: 13 },
      ],
    });
    expect(JSON.stringify(served.body)).not.toContain('price_sensitive');
    expect((await call('GET', '/v1/quizzes/style', basicAuth(kit.writeKey))).status).toBe(200);
    expect((await call('GET', '/v1/quizzes/style', marketer)).status).toBe(403);
    expect((await call('GET', '/v1/quizzes/style', '')).status).toBe(401);
    expect(
      (await call('POST', '/v1/quizzes/style/answers', marketer, { version: 1, userId: 'u', answers: { budget: 'price' } })).body,
    ).toMatchObject({
      code: 'insufficient_role',
    });
    expect((await call('GET', '/v1/quizzes/nope', clientKey)).status).toBe(404);
  });

  it.each([
    [{ version: 1, userId: 'u-x', answers: { budget: 'cheap' } }, 'invalid_quiz_answers', 'answers.budget'],
    [{ version: 1, userId: 'u-x', answers: { age: 30 } }, 'invalid_quiz_answers', 'answers.budget'],
    [{ version: 1, userId: 'u-x', answers: { budget: 'price', shoe: 42 } }, 'invalid_quiz_answers', 'answers.shoe'],
    [{ version: 3, userId: 'u-x', answers: { budget: 'price' } }, 'quiz_version_expired', 'version'],
  ])('answers %j: 400 %s at %s, nothing written', async (body, code, path) => {
    const before = await countRows(kit.db.dataSource);
    const answered = await call('POST', '/v1/quizzes/style/answers', clientKey, body);
    expect(answered.status).toBe(400);
    expect(answered.body).toMatchObject({ code, details: [expect.objectContaining({ path })] });
    expect(await countRows(kit.db.dataSource)).toEqual(before);
  });

  it('a valid answer lands as traits via identify and a rules segment sees it at once', async () => {
    const answered = await call('POST', '/v1/quizzes/style/answers', clientKey, {
      version: 1,
      userId: 'shopper-1',
      answers: { budget: 'price', age: 35 },
      timestamp: '2026-11-02T10:00:00.000Z',
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ success: true, version: 1, traits: { price_sensitive: true, age: 35 }, stored: 1, duplicates: 0 });
    const profile = await profileOf(kit.db.dataSource, 'user_id', 'shopper-1');
    expect(profile?.traits).toEqual({ price_sensitive: true, age: 35 });
    const preview = await call('POST', '/segments/preview', marketer, {
      definition: { type: 'rules', match: { type: 'trait', trait: 'price_sensitive', operator: 'equals', value: true } },
    });
    expect(preview.body.size).toBe(1);
    const stats = await call('GET', '/quizzes/style/stats', viewer);
    expect(stats.status).toBe(200);
    expect(stats.body.versions).toEqual([
      {
        version: 1,
        submissions: 1,
        respondents: 1,
        questions: [
          { question: 'age', answered: 1, options: [], numbers: { count: 1, min: 35, max: 35, mean: 35 } },
          { question: 'budget', answered: 1, options: [{ value: 'price', count: 1 }], numbers: null },
        ],
      },
    ]);
  });

  it('serves the embeddable page for a client key only, with its own CSP nonce and the definition escaped', async () => {
    const hostile = {
      title: '</script><img src=x onerror=alert(1)>',
      questions: [{ id: 'q', text: '<b>bold?</b>', kind: 'single', trait: 'hostile_trait', options: [{ value: 'v' }] }],
    };
    expect((await call('POST', '/quizzes', marketer, { key: 'hostile', owner: 'crm', definition: hostile })).status).toBe(201);
    const response = await fetch(`${kit.api.baseUrl}/v1/quizzes/hostile/page`, { headers: { authorization: clientKey } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const csp = response.headers.get('content-security-policy') as string;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain('frame-ancestors *');
    expect(response.headers.get('x-frame-options')).toBeNull();
    const html = await response.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).toContain('<title>&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</title>');
    expect(html).toContain('\\u003c/script>');
    expect(html).not.toContain('hostile_trait'); // the trait mapping stays on the server

    const server = await fetch(`${kit.api.baseUrl}/v1/quizzes/hostile/page`, { headers: { authorization: basicAuth(kit.writeKey) } });
    expect(server.status).toBe(403);
    expect(((await server.json()) as { code: string }).code).toBe('client_key_required');
  });
  // The answers route receives its body like /v1/identify (trackingBodyReader), not through the admin JSON parser.
  it('reads the answers body as the tracking routes do: the 32 KB limit, gzip, any content type, the same 400s', async () => {
    const post = (body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${kit.api.baseUrl}/v1/quizzes/style/answers`, { method: 'POST', headers: { authorization: clientKey, ...headers }, body });
    const before = await countRows(kit.db.dataSource);
    const oversized = JSON.stringify({
      version: 1,
      userId: 'big-1',
      answers: { budget: 'price' },
      messageId: 'm',
      padding: 'x'.repeat(40_000),
    });
    const tooLarge = await post(oversized, { 'content-type': 'application/json' });
    expect(tooLarge.status).toBe(400);
    expect(await tooLarge.json()).toMatchObject({ code: 'body_too_large', message: expect.stringContaining('a single message (32 KB)') });
    const broken = await post('{"version": 1,', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('not valid JSON') });
    expect(await countRows(kit.db.dataSource)).toEqual(before);

    // A gzip body sent as text/plain (what a browser's sendBeacon sends) is accepted, as on /v1/identify.
    const zipped = gzipSync(JSON.stringify({ version: 1, userId: 'gzip-1', answers: { budget: 'quality' } }));
    const accepted = await post(zipped, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ success: true, stored: 1 });
    expect((await profileOf(kit.db.dataSource, 'user_id', 'gzip-1'))?.traits).toEqual({ priority: 'quality' });
  });

  it('enriches answers with the request context and counts them in the tracking metrics, as /v1/identify does', async () => {
    const metrics = async () => {
      const text = await (await fetch(`${kit.api.baseUrl}/metrics`, { headers: { authorization: viewer } })).text();
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
      return {
        accepted: value(/audiencekit_ingest_events_total\{route="quiz_answers",outcome="accepted"\} (\d+)/),
        rejected: value(/audiencekit_ingest_events_total\{route="quiz_answers",outcome="rejected"\} (\d+)/),
        timed: value(/audiencekit_tracking_request_duration_seconds_count\{route="\/v1\/quizzes\/:key\/answers",status="200"\} (\d+)/),
      };
    };
    const before = await metrics();
    const answered = await call('POST', '/v1/quizzes/style/answers', clientKey, {
      version: 1,
      userId: 'enriched-1',
      answers: { budget: 'price' },
      messageId: 'enriched-answer',
    });
    expect(answered.status).toBe(200);
    expect(
      (await call('POST', '/v1/quizzes/style/answers', clientKey, { version: 1, userId: 'x', answers: { budget: 'cheap' } })).status,
    ).toBe(400);
    const [event] = await kit.db.dataSource.query(`SELECT context FROM events WHERE message_id = 'quiz:style:enriched-answer'`);
    // The request came from 127.0.0.1; the default AK_IP_RETENTION (truncate) keeps its /24.
    expect(event.context).toMatchObject({ ip: '127.0.0.0', quiz: { key: 'style', version: 1 } });
    expect(await metrics()).toEqual({ accepted: before.accepted + 1, rejected: before.rejected + 1, timed: before.timed + 1 });
  });
  it('answers 503 with Retry-After while the database is down, as the tracking routes do; the retry is stored once', async () => {
    const allowConnections = (allow: boolean) =>
      onAdmin(async (admin) => {
        await admin.query(`ALTER DATABASE ${kit.db.name} ALLOW_CONNECTIONS ${allow}`);
        if (!allow) await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [kit.db.name]);
      });
    const body = { version: 1, userId: 'outage-1', answers: { budget: 'price' }, messageId: 'outage-answer' };
    await allowConnections(false);
    try {
      const down = await fetch(`${kit.api.baseUrl}/v1/quizzes/style/answers`, {
        method: 'POST',
        headers: { authorization: clientKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect([down.status, down.headers.get('retry-after')]).toEqual([503, '5']);
      expect(await down.json()).toMatchObject({ code: 'database_unavailable' });
    } finally {
      await allowConnections(true);
    }
    expect((await call('POST', '/v1/quizzes/style/answers', clientKey, body)).body).toMatchObject({ stored: 1, duplicates: 0 });
    expect((await call('POST', '/v1/quizzes/style/answers', clientKey, body)).body).toMatchObject({ stored: 0, duplicates: 1 });
  });
});
