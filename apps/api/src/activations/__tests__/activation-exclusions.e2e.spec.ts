import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

/** Exclusions of an activation (issue #23) through the HTTP API on a real Postgres: saved by key or id, validated, replaced. */
describe('activation exclusions through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const segments: Record<string, string> = {};
  let destinationId: string;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    for (const key of ['retarget', 'dormant_low_value', 'churned']) {
      const segment = await call('POST', '/segments', { key, name: key, owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition });
      expect(segment.status).toBe(201);
      segments[key] = segment.body.id;
    }
    destinationId = (
      await call(
        'POST',
        '/destinations',
        { name: 'list', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: 'sk_test_12345678' } },
        keys.admin,
      )
    ).body.id;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const body = (excludeSegments: unknown) => ({
    name: 'paid retargeting',
    segmentId: segments['retarget'],
    destinationId,
    mode: 'mirror',
    excludeSegments,
  });

  it('saves exclusions named by key or id and returns their ids; a PATCH replaces them', async () => {
    const created = await call('POST', '/activations', body(['dormant_low_value', segments['churned']]));
    expect(created.status).toBe(201);
    expect(created.body.excludeSegmentIds).toEqual([segments['dormant_low_value'], segments['churned']]);
    const stored = await db.dataSource.query(`SELECT segment_id FROM activation_exclusions WHERE activation_id = $1 ORDER BY 1`, [
      created.body.id,
    ]);
    expect(stored.map((row: { segment_id: string }) => row.segment_id)).toEqual(
      [segments['dormant_low_value'], segments['churned']].sort(),
    );
    expect((await call('GET', `/activations/${created.body.id}`, undefined, keys.viewer)).body.excludeSegmentIds).toHaveLength(2);

    const patched = await call('PATCH', `/activations/${created.body.id}`, { excludeSegments: ['churned'] });
    expect(patched.status).toBe(200);
    expect(patched.body.excludeSegmentIds).toEqual([segments['churned']]);
    // A PATCH without excludeSegments keeps them.
    const renamed = await call('PATCH', `/activations/${created.body.id}`, { name: 'renamed' });
    expect(renamed.body.excludeSegmentIds).toEqual([segments['churned']]);
    const cleared = await call('PATCH', `/activations/${created.body.id}`, { excludeSegments: [] });
    expect(cleared.body.excludeSegmentIds).toEqual([]);
  });

  it('refuses an unknown segment or the activation own segment with a 400 naming the field, writing nothing', async () => {
    const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM activations`);
    const unknown = await call('POST', '/activations', body(['dormant_low_value', 'no_such_segment']));
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ path: 'excludeSegments[1]', message: 'no segment with key or id "no_such_segment"' }]);
    const own = await call('POST', '/activations', body([segments['retarget']]));
    expect(own.status).toBe(400);
    expect(own.body.details).toEqual([{ path: 'excludeSegments[0]', message: expect.stringContaining("activation's own segment") }]);
    const notStrings = await call('POST', '/activations', body([42]));
    expect(notStrings.status).toBe(400);
    expect(notStrings.body.details[0].path).toBe('excludeSegments[0]');
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM activations`)).toEqual(before);

    const created = (await call('POST', '/activations', body(['churned']))).body;
    const patched = await call('PATCH', `/activations/${created.id}`, { excludeSegments: ['nope'] });
    expect(patched.status).toBe(400);
    expect(patched.body.details).toEqual([{ path: 'excludeSegments[0]', message: 'no segment with key or id "nope"' }]);
    expect((await call('GET', `/activations/${created.id}`)).body.excludeSegmentIds).toEqual([segments['churned']]);
  });

  it('lets only marketers and admins change exclusions', async () => {
    const refused = await call('POST', '/activations', body(['churned']), keys.viewer);
    expect(refused.status).toBe(403);
  });
});
