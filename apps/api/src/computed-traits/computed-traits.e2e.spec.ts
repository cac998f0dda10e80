import { RealtimeEvaluator } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

/**
 * Computed traits through the API on a real Postgres: roles, preview, create / run / values,
 * mistakes as 400s naming the field, segments reading a trait (unknown key refused, real time
 * only on real-time traits, delete refused while read), real-time maintenance by the evaluator,
 * and the profile page showing the values with their source.
 */
describe('computed traits API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketer: string;
  let viewer: string;
  const profiles: string[] = [];
  const DAY = 86_400_000;
  // The answers' shapes are what the tests assert.
  const call = async (method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const order = async (profileId: string, revenue: unknown, agoMs: number, n: number) =>
    db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', 'Order Completed', $3, $4)`,
      [`${profileId}-${n}`, profileId, new Date(Date.now() - agoMs), { revenue }],
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    for (let index = 0; index < 3; index += 1) {
      const [row] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      profiles.push(row.id);
    }
    await order(profiles[0], 10, DAY, 1);
    await order(profiles[0], 0.1, 2 * DAY, 2);
    await order(profiles[1], 'n/a', DAY, 3);
    await order(profiles[1], 5, 100 * DAY, 4);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const spend = { function: 'sum', event: 'Order Completed', property: 'revenue', window: 'last 90 days' };

  it('viewers read, marketers write; mistakes are 400s naming the field', async () => {
    expect((await call('POST', '/computed-traits', viewer, { key: 'spend_90d', owner: 'crm', definition: spend })).status).toBe(403);
    expect((await call('GET', '/computed-traits', viewer)).status).toBe(200);
    const bad = await call('POST', '/computed-traits', marketer, {
      key: 'spend_90d',
      owner: 'crm',
      cadence: 'every day',
      definition: { ...spend, property: undefined, window: 'last 9 fortnights' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((detail: { path: string }) => detail.path).sort()).toEqual(['definition.property', 'definition.window']);
    const cadence = await call('POST', '/computed-traits', marketer, {
      key: 'spend_90d',
      owner: 'crm',
      cadence: 'every day',
      definition: spend,
    });
    expect(cadence.status).toBe(400);
    expect(cadence.body.details).toEqual([{ path: 'cadence', message: expect.stringContaining('cron') }]);
    const key = await call('POST', '/computed-traits', marketer, { key: 'Spend 90', owner: 'crm', definition: spend });
    expect(key.status).toBe(400);
    expect(key.body.details[0].path).toBe('key');
  });

  it('previews the distribution, creates, runs into computed_trait_values, lists values, versions on change', async () => {
    const preview = await call('POST', '/computed-traits/preview', marketer, { definition: spend });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      profiles: 3,
      withValue: 1,
      withoutValue: 2,
      numeric: { count: 1, min: 10.1, max: 10.1, mean: 10.1 },
      histogram: null,
    });
    expect(preview.body.topValues).toEqual([{ value: 10.1, count: 1 }]);
    const counts = await call('POST', '/computed-traits/preview', marketer, {
      definition: { function: 'count', event: 'Order Completed', window: 'ever' },
    });
    expect(counts.body).toMatchObject({ profiles: 3, withValue: 3, numeric: { count: 3, min: 0, max: 2 } });
    expect(counts.body.histogram).toHaveLength(10);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM computed_trait_values`)).toEqual([{ n: 0 }]);

    const created = await call('POST', '/computed-traits', marketer, {
      key: 'spend_90d',
      owner: 'crm',
      cadence: '0 3 * * *',
      definition: spend,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'spend_90d', version: 1, cadence: '0 3 * * *', lastRunAt: null });
    expect((await call('POST', '/computed-traits', marketer, { key: 'spend_90d', owner: 'crm', definition: spend })).status).toBe(409);

    const run = await call('POST', '/computed-traits/spend_90d/runs', marketer);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ key: 'spend_90d', version: 1, trigger: 'manual', withValue: 1, upserted: 1, deleted: 0 });
    const values = await call('GET', '/computed-traits/spend_90d/values?limit=5', viewer);
    expect(values.body).toEqual({
      key: 'spend_90d',
      values: [{ profileId: profiles[0], value: 10.1, version: 1, computedAt: expect.any(String) }],
    });

    const updated = await call('PUT', '/computed-traits/spend_90d', marketer, { definition: { ...spend, window: 'ever' } });
    expect(updated.body).toMatchObject({ version: 2 });
    const rerun = await call('POST', '/computed-traits/spend_90d/runs', marketer);
    expect(rerun.body).toMatchObject({ version: 2, withValue: 2, upserted: 2 });
    const [detail] = [(await call('GET', `/profiles/${profiles[1]}`, viewer)).body];
    expect(detail.computedTraits).toEqual([
      { key: 'spend_90d', value: 5, source: 'computed', sourceId: created.body.id, version: 2, computedAt: expect.any(String) },
    ]);
  });

  it('segments read traits: an unknown key is refused, real time needs a real-time trait, a trait in use cannot be deleted', async () => {
    const segment = (key: string, refreshCadence: string, traitKey: string) =>
      call('POST', '/segments', marketer, {
        key,
        name: key,
        owner: 'crm',
        refreshCadence,
        definition: { type: 'rules', match: { type: 'computed_trait', key: traitKey, operator: 'gte', value: 10 } },
      });
    const unknown = await segment('big-spenders', 'manual', 'spend_9d');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      code: 'unknown_computed_trait',
      details: [{ path: 'definition.match', message: expect.stringContaining('spend_9d') }],
    });
    const notRealtime = await segment('big-spenders', 'realtime', 'spend_90d');
    expect(notRealtime.status).toBe(400);
    expect(notRealtime.body.details).toEqual([{ path: 'definition.match', message: expect.stringContaining('not real time') }]);
    const created = await segment('big-spenders', 'manual', 'spend_90d');
    expect(created.status).toBe(201);
    const preview = await call('POST', '/segments/preview', marketer, {
      definition: { type: 'rules', match: { type: 'computed_trait', key: 'spend_90d', operator: 'gte', value: 10 } },
    });
    expect(preview.body).toMatchObject({ size: 1 });
    const refused = await call('DELETE', '/computed-traits/spend_90d', marketer);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'computed_trait_in_use', message: expect.stringContaining('big-spenders') });
  });

  it('a real-time trait is kept fresh by the real-time evaluator, before the segments that read it', async () => {
    const created = await call('POST', '/computed-traits', marketer, {
      key: 'orders_7d',
      owner: 'crm',
      cadence: 'realtime',
      definition: { function: 'count', event: 'Order Completed', window: 'last 7 days' },
    });
    expect(created.status).toBe(201);
    // Saved: computed for everyone at once.
    const stored = async (profileId: string) =>
      (await db.dataSource.query(`SELECT value FROM computed_trait_values WHERE profile_id = $1 AND key = 'orders_7d'`, [profileId]))[0]
        ?.value;
    expect(await stored(profiles[0])).toBe(2);
    expect(await stored(profiles[2])).toBe(0);
    const segment = await call('POST', '/segments', marketer, {
      key: 'repeat-buyers',
      name: 'repeat buyers',
      owner: 'crm',
      refreshCadence: 'realtime',
      definition: { type: 'rules', match: { type: 'computed_trait', key: 'orders_7d', operator: 'gte', value: 2 } },
    });
    expect(segment.status).toBe(201);
    const evaluator = api.app.get(RealtimeEvaluator);
    await evaluator.drain();
    const members = async () =>
      (
        await db.dataSource.query(
          `SELECT m.profile_id FROM segment_memberships m JOIN segments s ON s.id = m.segment_id WHERE s.key = 'repeat-buyers' ORDER BY 1`,
        )
      ).map((row: { profile_id: string }) => row.profile_id);
    expect(await members()).toEqual([profiles[0]]);
    // A due time per profile with events in the window: when the older order leaves it.
    const [due] = await db.dataSource.query(`SELECT due_at FROM computed_trait_due WHERE profile_id = $1`, [profiles[0]]);
    expect(new Date(due.due_at).getTime()).toBeGreaterThan(Date.now() + 4 * DAY);
    // Two new orders of profile 1 (one already in the window) arrive; ingestion hands the profile over.
    await order(profiles[1], 1, 1000, 5);
    await order(profiles[1], 1, 2000, 6);
    await db.dataSource.query(`INSERT INTO realtime_touches (profile_id) VALUES ($1)`, [profiles[1]]);
    await evaluator.drain();
    expect(await stored(profiles[1])).toBe(3);
    expect(await members()).toEqual([profiles[0], profiles[1]].sort());
    // With no new event, the window slides past profile 0's older order (its due time comes): the
    // due profile is handed back, its count drops to 1 and it leaves the segment.
    await db.dataSource.query(`UPDATE events SET timestamp = timestamp - interval '6 days' WHERE message_id = $1`, [`${profiles[0]}-2`]);
    await db.dataSource.query(`UPDATE computed_trait_due SET due_at = now() - interval '1 second' WHERE profile_id = $1`, [profiles[0]]);
    await evaluator.drain();
    expect(await stored(profiles[0])).toBe(1);
    expect(await members()).toEqual([profiles[1]]);
    // Switching it off real time while a real-time segment reads it is refused.
    const off = await call('PUT', '/computed-traits/orders_7d', marketer, { cadence: 'manual' });
    expect(off.status).toBe(409);
  });
});
