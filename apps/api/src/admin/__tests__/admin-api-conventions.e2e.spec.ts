import { syncRunPageSchema, syncRunViewSchema } from '@audiencekit/activation-admin';
import { ApiKeyService, RouteCatalog } from '@audiencekit/server-core';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../../activations/__tests__/activations-test-app';

const MISSING = '00000000-0000-4000-8000-000000000000';

/** The one error body: statusCode equal to the HTTP status, a code, a message, details with a path. */
function expectErrorBody(label: string, status: number, body: any, expectedStatus: number): void {
  expect({ label, status }).toEqual({ label, status: expectedStatus });
  expect({ label, statusCode: body?.statusCode, code: typeof body?.code, message: typeof body?.message }).toEqual({
    label,
    statusCode: expectedStatus,
    code: 'string',
    message: 'string',
  });
  if (body.details !== undefined) {
    expect({ label, details: body.details }).toEqual({
      label,
      details: expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
    });
    for (const detail of body.details) expect(Object.keys(detail).sort()).toEqual(['message', 'path']);
  }
}

/**
 * Conventions every admin controller keeps: one error body for every 4xx, pagination and filters
 * on list routes, a body size limit, per-key rate limiting, identifiers masked for non-admin keys,
 * and every route of the Express router in /openapi.json with its schemas.
 */
describe('admin API conventions', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer' | 'write', string> = {} as never;
  let segmentId: string;
  let activationId: string;
  let destinationId: string;
  const call = (method: string, path: string, body?: unknown, key = keys.admin) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer', 'write'] as const)
      keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    segmentId = (await call('POST', '/segments', { key: 'vip', name: 'VIP', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition }))
      .body.id;
    await call('POST', '/segments', { key: 'other', name: 'Other', owner: 'ops', definition: EXAMPLE_SEGMENTS.vip.definition });
    destinationId = (await call('POST', '/destinations', { name: 'sms', connector: 'test-sms', settings: { from: '+15551234567' } })).body
      .id;
    activationId = (
      await call('POST', '/activations', {
        name: 'sms',
        segmentId,
        destinationId,
        mode: 'send',
        message: { text: 'Hi' },
        schedule: 'manual',
      })
    ).body.id;
    await call('POST', '/activations', {
      name: 'sms 2',
      segmentId,
      destinationId,
      mode: 'send',
      message: { text: 'Hi' },
      schedule: 'manual',
    });
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('answers every sampled 4xx of every controller with the one error body', async () => {
    const samples: [string, string, string, unknown, string | undefined, number][] = [
      ['keys 400', 'POST', '/keys', { name: '', role: 'root' }, keys.admin, 400],
      ['keys 404', 'DELETE', `/keys/${MISSING}`, undefined, keys.admin, 404],
      ['audit 400', 'GET', '/audit-log?limit=0', undefined, keys.admin, 400],
      ['keys 403', 'GET', '/keys', undefined, keys.marketer, 403],
      ['segments 400', 'POST', '/segments', { key: 'Bad Key!', definition: {} }, keys.marketer, 400],
      ['segments 404', 'GET', `/segments/${MISSING}`, undefined, keys.viewer, 404],
      [
        'segments 409',
        'POST',
        '/segments',
        { key: 'vip', name: 'VIP', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition },
        keys.marketer,
        409,
      ],
      ['segments 401', 'GET', '/segments', undefined, undefined, 401],
      ['destinations 400', 'POST', '/destinations', { name: 'x', connector: 'nope' }, keys.admin, 400],
      ['destinations 404', 'GET', `/destinations/${MISSING}`, undefined, keys.viewer, 404],
      ['destinations 403', 'POST', '/destinations', { name: 'x', connector: 'test-sms' }, keys.marketer, 403],
      ['activations 400', 'GET', '/activations?status=gone', undefined, keys.viewer, 400],
      ['activations 404', 'GET', `/activations/${MISSING}`, undefined, keys.viewer, 404],
      ['activations 403', 'POST', '/activations', {}, keys.viewer, 403],
      ['sync-runs 404', 'GET', `/sync-runs/${MISSING}`, undefined, keys.viewer, 404],
      ['sync-runs 400', 'POST', `/activations/${activationId}/sync`, { dryRun: 'yes' }, keys.marketer, 400],
      ['holdout 400', 'PUT', '/holdout/global', { share: 2 }, keys.admin, 400],
      ['holdout 401', 'GET', '/holdout/global', undefined, 'ak_adm_not-a-key', 401],
      ['connectors 403', 'GET', '/connectors', undefined, keys.write, 403],
    ];
    for (const [label, method, path, body, key, status] of samples) {
      const response = key
        ? await callApi(api.baseUrl, key, method, path, body)
        : await fetch(`${api.baseUrl}${path}`).then(async (r) => ({ status: r.status, body: await r.json() }));
      expectErrorBody(label, response.status, response.body, status);
    }
    const validation = await call('POST', '/keys', { name: '', role: 'root' });
    expect(validation.body.details.map((detail: any) => detail.path).sort()).toEqual(['name', 'role']);
  }, 30_000);

  it('answers 409 of the sync engine and 413 of the body parser with the same body', async () => {
    const held = await call(
      'POST',
      `/sync-runs/${(await call('POST', `/activations/${activationId}/dry-run`, {})).body.id}/confirm`,
      undefined,
      keys.marketer,
    );
    expectErrorBody('confirm a dry run', held.status, held.body, 409);
    const huge = await fetch(`${api.baseUrl}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.marketer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'big', name: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expectErrorBody('3 MB body', huge.status, await huge.json(), 413);
  });

  it('paginates every list route with limit/offset/total and filters where natural', async () => {
    const lists = [
      '/keys',
      '/audit-log',
      '/segments',
      '/destinations',
      '/activations',
      `/activations/${activationId}/sync-runs`,
      `/segments/${segmentId}/runs`,
      `/segments/${segmentId}/members`,
    ];
    for (const path of lists) {
      const all = await call('GET', path);
      const first = await call('GET', `${path}?limit=1&offset=0`);
      expect({ path, status: first.status, total: typeof first.body.total, items: Array.isArray(first.body.items) }).toEqual({
        path,
        status: 200,
        total: 'number',
        items: true,
      });
      expect({ path, length: first.body.items.length }).toEqual({ path, length: Math.min(1, all.body.total) });
      const bad = await call('GET', `${path}?limit=-1`);
      expectErrorBody(`${path} limit=-1`, bad.status, bad.body, 400);
    }
    expect((await call('GET', '/segments?owner=ops')).body.items.map((item: any) => item.key)).toEqual(['other']);
    expect((await call('GET', '/activations?mode=send&limit=1&offset=1')).body).toMatchObject({
      total: 2,
      limit: 1,
      offset: 1,
      items: [expect.objectContaining({ name: 'sms 2' })],
    });
    expect((await call('GET', '/destinations?connector=test-list')).body.total).toBe(0);
    expect((await call('GET', '/keys?role=write')).body.items.map((item: any) => item.role)).toEqual(['write']);
    expect(
      (await call('GET', `/activations/${activationId}/sync-runs?status=succeeded`)).body.items.every(
        (run: any) => run.status === 'succeeded',
      ),
    ).toBe(true);
    expect((await call('GET', '/audit-log?action=POST%20/activations')).body.total).toBe(2);
  });

  it('masks identifiers in sync runs for marketer and viewer keys, not for admins', async () => {
    const run = (await call('POST', `/activations/${activationId}/dry-run`, {}, keys.marketer)).body.id;
    await db.dataSource.query(`UPDATE sync_runs SET errors = $2::jsonb WHERE id = $1`, [
      run,
      JSON.stringify([{ kind: 'batch_failed', reason: 'vendor refused jane.doe@example.com and +447700900123' }]),
    ]);
    for (const role of ['marketer', 'viewer'] as const) {
      const seen = await call('GET', `/sync-runs/${run}`, undefined, keys[role]);
      expect(seen.body.errors[0].reason).toBe('vendor refused j***@example.com and +44*******123');
      expect(syncRunViewSchema.safeParse(seen.body).error).toBeUndefined(); // the documented response schema matches
      const listed = await call('GET', `/activations/${activationId}/sync-runs`, undefined, keys[role]);
      expect(syncRunPageSchema.safeParse(listed.body).error).toBeUndefined();
      expect(JSON.stringify(listed.body)).not.toContain('jane.doe@example.com');
    }
    expect((await call('GET', `/sync-runs/${run}`)).body.errors[0].reason).toBe('vendor refused jane.doe@example.com and +447700900123');
  });

  it('documents every route of the Express router in /openapi.json, with its request schemas', async () => {
    const document = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
    const express = api.app.getHttpAdapter().getInstance();
    const layers: any[] = (express.router ?? express._router).stack;
    const served = layers
      // `/{*path}` is Nest's catch-all that answers unknown routes with the 404 error body.
      .filter((layer) => typeof layer.route?.path === 'string' && !layer.route.path.includes('*'))
      .flatMap((layer) => Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route.path}`));
    expect(served.length).toBeGreaterThan(30);
    const missing = served.filter((route) => {
      const [method, path] = route.split(' ');
      return !document.paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);

    const catalog = api.app.get(RouteCatalog).routes();
    const undocumented = catalog.filter((route) => !route.spec).map((route) => `${route.method} ${route.path}`);
    expect(undocumented).toEqual([]);
    const bodiless = catalog
      .filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method) && route.access !== 'write' && !route.spec?.body)
      .map((route) => `${route.method} ${route.path}`);
    // Actions on an object named by the path take no body; the CSV uploads read their own (text/csv).
    expect(bodiless.sort()).toEqual([
      'POST /computed-traits/:key/runs',
      'POST /destinations/:id/test',
      'POST /journeys/:ref/pause',
      'POST /journeys/:ref/publish',
      'POST /segments/:id/list',
      'POST /segments/:id/refit',
      'POST /segments/:id/refresh',
      'POST /segments/:id/runs/:runId/cancel',
      'POST /segments/:id/runs/:runId/retry',
      'POST /sql-traits/:key/runs',
      'POST /suppressions/import',
      'POST /sync-runs/:id/cancel',
      'POST /sync-runs/:id/confirm',
      'POST /sync-runs/:id/retry',
    ]);
    for (const path of ['/keys', '/audit-log', '/segments', '/destinations', '/activations', '/activations/{id}/sync-runs']) {
      const names = (document.paths[path].get.parameters ?? []).map((parameter: any) => parameter.name);
      expect({ path, names }).toEqual({ path, names: expect.arrayContaining(['limit', 'offset']) });
    }
  });
});

describe('admin API rate limit per key', () => {
  let db: TestDatabase;
  let api: RunningApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_ADMIN_RATE_LIMIT: '6', AK_ADMIN_RATE_BURST: '3' } });
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('answers 429 with Retry-After once a key spends its burst; other keys and write keys are unaffected', async () => {
    const keys = api.app.get(ApiKeyService);
    const busy = (await keys.create('busy', 'viewer')).secret;
    const calm = (await keys.create('calm', 'viewer')).secret;
    const write = (await keys.create('source', 'write')).secret;
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await callApi(api.baseUrl, busy, 'GET', '/segments')).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await fetch(`${api.baseUrl}/segments`, { headers: { authorization: `Bearer ${busy}` } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectErrorBody('429', limited.status, await limited.json(), 429);
    expect((await callApi(api.baseUrl, calm, 'GET', '/segments')).status).toBe(200);
    const basic = `Basic ${Buffer.from(`${write}:`).toString('base64')}`;
    for (let index = 0; index < 5; index++) {
      const tracked = await fetch(`${api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `u${index}`, event: 'Viewed', messageId: `rate-${index}` }),
      });
      expect(tracked.status).toBe(200);
    }
  });
});
