import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

/** Priority lists (issue #23) through the HTTP API on a real Postgres: CRUD, roles, 400/404/409, exclusive counts, activations targeting an entry. */
describe('priority lists through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const segments: Record<string, string> = {};
  const members: Record<string, string[]> = {};
  let destinationId: string;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    const people: { id: string }[] = await db.dataSource.query(
      `INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 60) RETURNING id`,
    );
    const ids = people.map((row) => row.id);
    members['high'] = ids.slice(0, 20);
    members['mid'] = ids.slice(10, 40);
    members['low'] = [...ids.slice(0, 5), ...ids.slice(30, 60)];
    for (const key of ['high', 'mid', 'low', 'other']) {
      const [segment] = await db.dataSource.query(
        `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'crm', 'manual', 1) RETURNING id`,
        [key],
      );
      segments[key] = segment.id;
      await db.dataSource.query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
        [segment.id, members[key] ?? []],
      );
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

  it('creates a list by segment keys or ids, reads it by id or key, and counts exclusive members per entry in SQL', async () => {
    const created = await call('POST', '/priority-lists', { key: 'plays', name: 'Plays', entries: ['high', segments['mid'], 'low'] });
    expect(created.status).toBe(201);
    expect(created.body.entries).toEqual([
      { position: 1, segmentId: segments['high'], segmentKey: 'high' },
      { position: 2, segmentId: segments['mid'], segmentKey: 'mid' },
      { position: 3, segmentId: segments['low'], segmentKey: 'low' },
    ]);
    expect((await call('GET', '/priority-lists/plays', undefined, keys.viewer)).body.id).toBe(created.body.id);
    const membership = await call('GET', `/priority-lists/${created.body.id}/membership`, undefined, keys.viewer);
    expect(membership.status).toBe(200);
    // Independently: a profile counts for the first entry (in order) it is a member of.
    const taken = new Set<string>();
    const expected = ['high', 'mid', 'low'].map((key, index) => {
      const exclusive = members[key].filter((id) => !taken.has(id));
      exclusive.forEach((id) => taken.add(id));
      return { position: index + 1, segmentId: segments[key], segmentKey: key, members: members[key].length, exclusive: exclusive.length };
    });
    expect(membership.body.entries).toEqual(expected);
    // By hand: high 0-19; mid 10-39 less 10-19; low 0-4 and 30-59 less 0-4 and 30-39.
    expect(expected.map((entry) => entry.exclusive)).toEqual([20, 20, 20]);
  });

  it('refuses bad lists: 400 naming the field, 409 for a taken key, 404 for an unknown list; viewers cannot write', async () => {
    const unknown = await call('POST', '/priority-lists', { key: 'bad', name: 'Bad', entries: ['high', 'nope'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([{ path: 'entries[1]', message: 'no segment with key or id "nope"' }]);
    const twice = await call('POST', '/priority-lists', { key: 'twice', name: 'Twice', entries: ['high', segments['high']] });
    expect(twice.status).toBe(400);
    expect(twice.body.details).toEqual([{ path: 'entries[1]', message: 'segment high is already an entry' }]);
    const empty = await call('POST', '/priority-lists', { key: 'empty', name: 'Empty', entries: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.details[0].path).toBe('entries');
    const badKey = await call('POST', '/priority-lists', { key: 'Bad Key', name: 'x', entries: ['high'] });
    expect(badKey.body.details[0].path).toBe('key');
    const taken = await call('POST', '/priority-lists', { key: 'plays', name: 'Again', entries: ['other'] });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('priority_list_key_taken');
    expect((await call('GET', '/priority-lists/no_such_list')).status).toBe(404);
    expect((await call('POST', '/priority-lists', { key: 'v', name: 'v', entries: ['high'] }, keys.viewer)).status).toBe(403);
    expect(await db.dataSource.query(`SELECT key FROM priority_lists ORDER BY key`)).toEqual([{ key: 'plays' }]);
  });

  it('an activation targets an entry (400 naming priorityList otherwise); the list keeps its segment and cannot be deleted under it', async () => {
    const activation = (body: Record<string, unknown>) =>
      call('POST', '/activations', { name: 'mid retarget', destinationId, mode: 'mirror', segmentId: segments['mid'], ...body });
    const notEntry = await activation({ segmentId: segments['other'], priorityList: 'plays' });
    expect(notEntry.status).toBe(400);
    expect(notEntry.body.details).toEqual([
      { path: 'priorityList', message: `segment ${segments['other']} is not an entry of priority list plays` },
    ]);
    const unknown = await activation({ priorityList: 'nope' });
    expect(unknown.body.details).toEqual([{ path: 'priorityList', message: 'no priority list with key or id "nope"' }]);

    const created = await activation({ priorityList: 'plays' });
    expect(created.status).toBe(201);
    const list = (await call('GET', '/priority-lists/plays')).body;
    expect(created.body.priorityListId).toBe(list.id);
    const dry = await call('POST', `/activations/${created.body.id}/dry-run`, { sampleSize: 50 });
    expect(dry.status).toBe(200);
    // mid's members who are also in high (10 of them) are outranked; the holdout is 10% by default.
    expect(dry.body.counts['outranked'] + (dry.body.counts['heldOutActivation'] ?? 0)).toBeGreaterThanOrEqual(10);
    expect(dry.body.counts['outranked']).toBeLessThanOrEqual(10);
    expect(dry.body.counts['considered']).toBe(30);

    const reordered = await call('PATCH', '/priority-lists/plays', { entries: ['low', 'mid', 'high'] });
    expect(reordered.status).toBe(200);
    expect(reordered.body.entries.map((entry: { segmentKey: string }) => entry.segmentKey)).toEqual(['low', 'mid', 'high']);
    const dropped = await call('PATCH', '/priority-lists/plays', { entries: ['low', 'high'] });
    expect(dropped.status).toBe(400);
    expect(dropped.body.details[0]).toMatchObject({ path: 'entries', message: expect.stringContaining(created.body.id) });
    const inUse = await call('DELETE', '/priority-lists/plays');
    expect(inUse.status).toBe(409);
    expect(inUse.body.code).toBe('priority_list_in_use');

    const detached = await call('PATCH', `/activations/${created.body.id}`, { priorityList: null });
    expect(detached.body.priorityListId).toBeNull();
    expect((await call('DELETE', '/priority-lists/plays')).status).toBe(204);
    expect((await call('GET', '/priority-lists/plays')).status).toBe(404);
  });
});
