import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

/** Frequency caps (issue #23) through the HTTP API on a real Postgres: CRUD, roles, 400/404, and a dry run that itemises capped members. */
describe('frequency caps through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('creates, lists, changes and deletes a cap; viewers read only', async () => {
    const created = await call('POST', '/frequency-caps', { name: 'two texts a day', channel: 'sms', maxMessages: 2, windowHours: 24 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'two texts a day', channel: 'sms', maxMessages: 2, windowHours: 24 });
    expect((await call('GET', '/frequency-caps', undefined, keys.viewer)).body.items.map((cap: { id: string }) => cap.id)).toEqual([
      created.body.id,
    ]);
    expect((await call('POST', '/frequency-caps', { name: 'x', channel: 'sms', maxMessages: 1, windowHours: 1 }, keys.viewer)).status).toBe(
      403,
    );
    const patched = await call('PATCH', `/frequency-caps/${created.body.id}`, { maxMessages: 3 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ maxMessages: 3, windowHours: 24, channel: 'sms' });
    const [row] = await db.dataSource.query(`SELECT max_messages FROM frequency_caps WHERE id = $1`, [created.body.id]);
    expect(row.max_messages).toBe(3);
    expect((await call('DELETE', `/frequency-caps/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/frequency-caps/${created.body.id}`)).status).toBe(404);
  });

  it('refuses bad caps with a 400 naming the field, and unknown ids with a 404', async () => {
    const zero = await call('POST', '/frequency-caps', { name: 'none', channel: 'sms', maxMessages: 0, windowHours: 24 });
    expect(zero.status).toBe(400);
    expect(zero.body.details.map((detail: { path: string }) => detail.path)).toEqual(['maxMessages']);
    const channel = await call('POST', '/frequency-caps', { name: 'pigeon', channel: 'pigeon', maxMessages: 1, windowHours: 24 });
    expect(channel.status).toBe(400);
    expect(channel.body.details.map((detail: { path: string }) => detail.path)).toEqual(['channel']);
    const window = await call('POST', '/frequency-caps', { name: 'w', channel: 'all', maxMessages: 1, windowHours: 0.5 });
    expect(window.status).toBe(400);
    expect(window.body.details.map((detail: { path: string }) => detail.path)).toEqual(['windowHours']);
    // A malformed id is the path's fault (the API's convention: 400), an unknown one a 404.
    expect((await call('PATCH', '/frequency-caps/not-a-uuid', { maxMessages: 2 })).status).toBe(400);
    expect((await call('DELETE', '/frequency-caps/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('a send dry run counts and itemises the members a cap would refuse', async () => {
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('texted', 'texted', 'crm', 'manual', 1) RETURNING id`,
    );
    const profiles: { id: string }[] = await db.dataSource.query(
      `WITH p AS (INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 4) RETURNING id),
            i AS (INSERT INTO identities (type, value, profile_id) SELECT 'phone', '+1555' || lpad((row_number() OVER ())::text, 7, '0'), id FROM p),
            m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, id, now(), gen_random_uuid() FROM p)
       SELECT id FROM p ORDER BY id`,
      [segment.id],
    );
    const destination = await call(
      'POST',
      '/destinations',
      { name: 'sms', connector: 'test-sms', settings: { from: '+15551234567' } },
      keys.admin,
    );
    const activation = await call('POST', '/activations', {
      name: 'texts',
      segmentId: segment.id,
      destinationId: destination.body.id,
      mode: 'send',
      holdoutShare: 0,
      message: { text: 'hi' },
    });
    expect(activation.status).toBe(201);
    await call('POST', '/frequency-caps', { name: 'one text a day', channel: 'sms', maxMessages: 1, windowHours: 24 });
    await db.dataSource.query(
      `INSERT INTO send_ledger (profile_id, delivery_key, channel, sent_at) VALUES ($1, 'elsewhere', 'sms', now() - interval '1 hour')`,
      [profiles[0].id],
    );
    const dry = await call('POST', `/activations/${activation.body.id}/dry-run`, { sampleSize: 10 });
    expect(dry.status).toBe(200);
    expect(dry.body.counts).toMatchObject({ considered: 4, capped: 1, eligible: 3 });
    expect(dry.body.plan.samples.capped).toEqual([
      { profileId: profiles[0].id, reason: 'frequency cap "one text a day": 1 of 1 message(s) on sms in 24 h' },
    ]);
  });
});
