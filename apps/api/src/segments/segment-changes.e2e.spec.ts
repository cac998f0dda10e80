import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../test/seed-data';

/**
 * GET /segments/:id/changes, the live feed of a segment's entries and exits: newest first, polling
 * with `after`, real-time changes (written here as the real-time evaluator writes them: cause
 * 'realtime', no run) next to a refresh's, the current size, and bad query parameters.
 */
describe('GET /segments/:id/changes', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let viewerKey: string;
  let segmentId: string;
  const carts: string[] = [];

  async function get(path: string, key = viewerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: await response.json() };
  }

  /** What the real-time evaluator commits for one entry or exit: the change row and the membership. */
  async function realtimeChange(
    client: { query: (text: string, values: unknown[]) => Promise<unknown> },
    profileId: string,
    change: 'added' | 'removed',
  ): Promise<void> {
    await client.query(
      `INSERT INTO segment_membership_changes (segment_id, profile_id, change, cause, run_id, version, changed_at)
       VALUES ($1, $2, $3, 'realtime', NULL, 1, now())`,
      [segmentId, profileId, change],
    );
    if (change === 'added')
      await client.query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), NULL)`, [
        segmentId,
        profileId,
      ]);
    else await client.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = $2`, [segmentId, profileId]);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    const marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    for (let index = 0; index < 3; index++) {
      carts.push(await insertProfile(db.dataSource, { email: `cart${index}@example.com` }));
      await insertEvent(db.dataSource, carts[index], 'Product Added', daysAgo(1));
    }
    const created = await fetch(`${api.baseUrl}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${marketerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        key: 'carts',
        name: 'Carts',
        owner: 'crm',
        definition: { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'ever' } },
      }),
    });
    segmentId = ((await created.json()) as { id: string }).id;
    const refresh = api.app.get(SegmentRefreshService);
    const run = await refresh.requestRefresh(segmentId, 'api');
    if (!run) throw new Error('the refresh was not queued');
    await refresh.execute(run.id);
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it("lists a refresh's adds, then real-time entries and exits newest first, with the size they leave", async () => {
    const first = await get(`/segments/${segmentId}/changes`);
    expect(first.status).toBe(200);
    expect(first.body.size).toBe(3);
    expect(first.body.items).toHaveLength(3);
    const [runId] = (await db.dataSource.query(`SELECT id FROM segment_runs WHERE segment_id = $1`, [segmentId])).map(
      (row: { id: string }) => row.id,
    );
    for (const item of first.body.items) expect(item).toMatchObject({ change: 'added', cause: 'refresh', runId, version: 1 });
    expect(first.body.items.map((item: { profileId: string }) => item.profileId).sort()).toEqual([...carts].sort());
    const ids = first.body.items.map((item: { id: number }) => item.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));

    const newcomer = await insertProfile(db.dataSource, { email: 'new@example.com' });
    await realtimeChange(db.dataSource, newcomer, 'added');
    await realtimeChange(db.dataSource, carts[0], 'removed');
    const polled = await get(`/segments/${segmentId}/changes?after=${Math.max(...ids)}`);
    expect(polled.status).toBe(200);
    expect(polled.body.size).toBe(3);
    expect(polled.body.items.map((item: any) => [item.profileId, item.change, item.cause, item.runId])).toEqual([
      [carts[0], 'removed', 'realtime', null],
      [newcomer, 'added', 'realtime', null],
    ]);
    expect(new Date(polled.body.items[0].changedAt).getTime()).toBeGreaterThan(0);
    expect(Object.keys(polled.body.items[0]).sort()).toEqual(['cause', 'change', 'changedAt', 'id', 'profileId', 'runId', 'version']);

    const latest = await get(`/segments/${segmentId}/changes?limit=2`);
    expect(latest.body.items.map((item: any) => item.id)).toEqual(polled.body.items.map((item: any) => item.id));
  });

  it('after a change id, gives the first `limit` changes after it (a poller that fell behind catches up), newest first', async () => {
    const all = (await get(`/segments/${segmentId}/changes?limit=500`)).body.items.map((item: { id: number }) => item.id);
    const oldest = all[all.length - 1];
    const page = await get(`/segments/${segmentId}/changes?after=${oldest}&limit=2`);
    expect(page.body.items.map((item: { id: number }) => item.id)).toEqual([all[all.length - 3], all[all.length - 2]]);
    expect((await get(`/segments/${segmentId}/changes?after=${all[0]}`)).body.items).toEqual([]);
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=501', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['after=0', 'query.after'],
    ['after=-3', 'query.after'],
    ['after=1.5', 'query.after'],
    ['after=abc', 'query.after'],
  ])('refuses ?%s with a 400 naming %s', async (query, field) => {
    const response = await get(`/segments/${segmentId}/changes?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.details.map((detail: { path: string }) => detail.path)).toEqual([field]);
  });

  it('answers 404 for an unknown segment', async () => {
    const response = await get('/segments/00000000-0000-4000-8000-000000000000/changes');
    expect(response.status).toBe(404);
  });
});
