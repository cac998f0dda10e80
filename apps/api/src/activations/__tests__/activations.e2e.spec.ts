import { ActivationEntity, AuditLogEntity } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService, RouteCatalog } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

/** Activations and the global holdout through the HTTP API on a real Postgres. */
describe('activations through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', string> = { admin: '', marketer: '', viewer: '' };
  let segmentId: string;
  let listDestination: string;
  let smsDestination: string;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    for (const role of ['admin', 'marketer', 'viewer'] as const) keys[role] = (await api.app.get(ApiKeyService).create(role, role)).secret;
    const segment = await call('POST', '/segments', { key: 'vip', name: 'VIP', owner: 'crm', definition: EXAMPLE_SEGMENTS.vip.definition });
    expect(segment.status).toBe(201);
    segmentId = segment.body.id;
    listDestination = (
      await call(
        'POST',
        '/destinations',
        { name: 'list', connector: 'test-list', settings: { listId: 'L' }, secrets: { apiKey: 'sk_test_12345678' } },
        keys.admin,
      )
    ).body.id;
    smsDestination = (
      await call('POST', '/destinations', { name: 'sms', connector: 'test-sms', settings: { from: '+15551234567' } }, keys.admin)
    ).body.id;
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const mirror = (extra: Record<string, unknown> = {}) => ({
    name: 'VIP newsletter',
    segmentId,
    destinationId: listDestination,
    mode: 'mirror',
    ...extra,
  });

  it('schedule on_change: 400 naming schedule unless the segment is real time (create and update)', async () => {
    const refused = await call('POST', '/activations', mirror({ name: 'welcome', schedule: 'on_change' }));
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ path: 'schedule', message: expect.stringContaining('needs a real-time segment') }]);
    expect(refused.body.details[0].message).toContain('"manual"');
    const plain = (await call('POST', '/activations', mirror({ name: 'plain', schedule: 'manual' }))).body;
    const patched = await call('PATCH', `/activations/${plain.id}`, { schedule: 'on_change' });
    expect(patched.status).toBe(400);
    expect(patched.body.details.map((d: any) => d.path)).toEqual(['schedule']);
    expect((await call('GET', `/activations/${plain.id}`)).body.schedule).toBe('manual');

    const realtime = await call('POST', '/segments', {
      key: 'vip_live',
      name: 'VIP live',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.vip.definition,
    });
    await db.dataSource.query(`UPDATE segments SET refresh_cadence = 'realtime' WHERE id = $1`, [realtime.body.id]);
    const accepted = await call('POST', '/activations', mirror({ name: 'live', segmentId: realtime.body.id, schedule: 'on_change' }));
    expect(accepted.status).toBe(201);
    expect(accepted.body.schedule).toBe('on_change');
    const manual = (await call('POST', '/activations', mirror({ name: 'live later', segmentId: realtime.body.id, schedule: 'manual' })))
      .body;
    expect((await call('PATCH', `/activations/${manual.id}`, { schedule: 'on_change' })).body.schedule).toBe('on_change');
  });

  it('creates an activation with a 10% holdout by default and a salt drawn once', async () => {
    const created = await call('POST', '/activations', mirror());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      segmentId,
      destinationId: listDestination,
      connector: 'test-list',
      mode: 'mirror',
      holdoutShare: 0.1,
      schedule: 'after_refresh',
      message: null,
      status: 'active',
    });
    expect(created.body).not.toHaveProperty('holdoutSalt');
    const row = await db.dataSource.getRepository(ActivationEntity).findOneByOrFail({ id: created.body.id });
    expect(row.holdoutSalt).toMatch(/^[0-9a-f]{32}$/);
    expect(row.holdoutHashVersion).toBe(1); // the holdout hash version, stored beside the salt
    const other = await call('POST', '/activations', mirror({ holdoutShare: 0.25, schedule: '0 6 * * *' }));
    expect(other.body).toMatchObject({ holdoutShare: 0.25, schedule: '0 6 * * *' });
    expect((await db.dataSource.getRepository(ActivationEntity).findOneByOrFail({ id: other.body.id })).holdoutSalt).not.toBe(
      row.holdoutSalt,
    );
    expect((await call('GET', `/activations/${created.body.id}`, undefined, keys.viewer)).body.id).toBe(created.body.id);
    const listed = await call('GET', `/activations?segmentId=${segmentId}`, undefined, keys.viewer);
    expect(listed.body.total).toBeGreaterThanOrEqual(2);
  });

  it('refuses a mode the connector’s delivery model cannot do, naming mode', async () => {
    const sendToList = await call(
      'POST',
      '/activations',
      mirror({ mode: 'send', message: { subject: 'Hi', text: 'Hello {{first_name}}' } }),
    );
    expect(sendToList.status).toBe(400);
    expect(sendToList.body.details).toEqual([
      { path: 'mode', message: expect.stringContaining('delivery model "list" allows "mirror", "add_only"') },
    ]);
    const mirrorToSms = await call('POST', '/activations', { name: 'sms', segmentId, destinationId: smsDestination, mode: 'mirror' });
    expect(mirrorToSms.status).toBe(400);
    expect(mirrorToSms.body.details.map((d: any) => d.path)).toEqual(['mode']);
  });

  it('requires a message in send mode, and validates every field', async () => {
    const noMessage = await call('POST', '/activations', { name: 'sms', segmentId, destinationId: smsDestination, mode: 'send' });
    expect(noMessage.status).toBe(400);
    expect(noMessage.body.details).toEqual([{ path: 'message', message: 'is required in send mode' }]);
    const ok = await call('POST', '/activations', {
      name: 'sms',
      segmentId,
      destinationId: smsDestination,
      mode: 'send',
      message: { text: 'Hi {{first_name}}' },
      holdoutShare: 0,
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ mode: 'send', holdoutShare: 0, message: { text: 'Hi {{first_name}}' } });

    const bad = await call('POST', '/activations', {
      name: '',
      segmentId: 'nope',
      destinationId: listDestination,
      mode: 'blast',
      holdoutShare: 1,
      schedule: 'sometimes',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path).sort()).toEqual(['holdoutShare', 'mode', 'name', 'schedule', 'segmentId']);
    const emptyMessage = await call('POST', '/activations', {
      name: 'sms',
      segmentId,
      destinationId: smsDestination,
      mode: 'send',
      message: { subject: 'only a subject' },
    });
    expect(emptyMessage.body.details.map((d: any) => d.path)).toEqual(['message']);
    const missing = await call(
      'POST',
      '/activations',
      mirror({ segmentId: '00000000-0000-4000-8000-000000000000', destinationId: '00000000-0000-4000-8000-000000000001' }),
    );
    expect(missing.status).toBe(400);
    expect(missing.body.details.map((d: any) => d.path)).toEqual(['segmentId', 'destinationId']);
  });

  it('keeps the salt and lets the share grow; shrinking is refused once members were exposed', async () => {
    const created = (await call('POST', '/activations', mirror({ holdoutShare: 0.2 }))).body;
    const salt = (await db.dataSource.getRepository(ActivationEntity).findOneByOrFail({ id: created.id })).holdoutSalt;
    // Before any sync the share may go either way.
    expect((await call('PATCH', `/activations/${created.id}`, { holdoutShare: 0.1 })).body.holdoutShare).toBe(0.1);
    const profile = await insertProfile(db.dataSource);
    await db.dataSource.query(
      `INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at) VALUES ($1, $2, 'treatment', now())`,
      [created.id, profile],
    );
    const grown = await call('PATCH', `/activations/${created.id}`, { holdoutShare: 0.3, holdoutSalt: 'mine', name: 'renamed' });
    expect(grown.status).toBe(200);
    expect(grown.body).toMatchObject({ holdoutShare: 0.3, name: 'renamed' });
    const shrunk = await call('PATCH', `/activations/${created.id}`, { holdoutShare: 0.2 });
    expect(shrunk.status).toBe(409);
    expect(shrunk.body).toMatchObject({ code: 'holdout_share_decrease', details: [{ path: 'holdoutShare' }] });
    const row = await db.dataSource.getRepository(ActivationEntity).findOneByOrFail({ id: created.id });
    expect({ salt: row.holdoutSalt, share: row.holdoutShare }).toEqual({ salt, share: 0.3 });
  });

  it('queues a full resync when asked (kept in the run plan), a plain sync otherwise; a wrong type is a 400 naming the field', async () => {
    const activation = (await call('POST', '/activations', mirror({ name: 'replace me', schedule: 'manual' }))).body;
    const full = await call('POST', `/activations/${activation.id}/sync`, { fullResync: true });
    expect(full.status).toBe(202);
    expect((await call('GET', `/sync-runs/${full.body.id}`, undefined, keys.viewer)).body).toMatchObject({
      status: 'queued',
      plan: { fullResync: true },
    });
    const plain = await call('POST', `/activations/${activation.id}/sync`, {});
    expect(plain.status).toBe(202);
    expect((await call('GET', `/sync-runs/${plain.body.id}`, undefined, keys.viewer)).body.plan?.fullResync).toBeUndefined();
    const wrong = await call('POST', `/activations/${activation.id}/sync`, { fullResync: 'yes' });
    expect(wrong).toMatchObject({ status: 400, body: { details: [expect.objectContaining({ path: 'fullResync' })] } });
  });

  it('soft-deletes, keeps writes to marketers, and audits them', async () => {
    const created = (await call('POST', '/activations', mirror({ name: 'to delete' }))).body;
    expect((await call('PATCH', `/activations/${created.id}`, { name: 'x' }, keys.viewer)).status).toBe(403);
    expect((await call('DELETE', `/activations/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/activations/${created.id}`, undefined, keys.viewer)).status).toBe(404);
    expect((await db.dataSource.getRepository(ActivationEntity).findOneByOrFail({ id: created.id })).status).toBe('deleted');
    const audit = await db.dataSource.getRepository(AuditLogEntity).find({ where: { objectId: created.id }, order: { id: 'ASC' } });
    expect(audit.map((row) => row.action)).toEqual(['POST /activations', 'DELETE /activations/:id']);
  });

  it('declares the role of every route of this area (route-access.spec then checks each is enforced)', () => {
    const declared = api.app
      .get(RouteCatalog)
      .routes()
      .map((route) => `${route.method} ${route.path} ${route.access}`);
    expect(declared).toEqual(
      expect.arrayContaining([
        'GET /connectors viewer',
        'POST /destinations admin',
        'GET /destinations viewer',
        'GET /destinations/:id viewer',
        'PATCH /destinations/:id admin',
        'DELETE /destinations/:id admin',
        'POST /destinations/:id/test marketer',
        'POST /activations marketer',
        'GET /activations viewer',
        'GET /activations/:id viewer',
        'PATCH /activations/:id marketer',
        'DELETE /activations/:id marketer',
        'GET /activations/:id/lift viewer',
        'POST /activations/:id/sync marketer',
        'POST /activations/:id/dry-run marketer',
        'GET /activations/:id/sync-runs viewer',
        'GET /sync-runs/:id viewer',
        'GET /holdout/global viewer',
        'PUT /holdout/global admin',
      ]),
    );
  });

  it('reads and sets the global holdout share; the salt stays', async () => {
    const [{ salt }] = await db.dataSource.query(`SELECT salt FROM global_holdout WHERE id = 1`);
    expect((await call('GET', '/holdout/global', undefined, keys.viewer)).body).toMatchObject({ share: 0 });
    expect((await call('PUT', '/holdout/global', { share: 0.05 })).status).toBe(403);
    const set = await call('PUT', '/holdout/global', { share: 0.05, salt: 'other' }, keys.admin);
    expect(set.status).toBe(200);
    expect(set.body.share).toBe(0.05);
    expect((await call('GET', '/holdout/global', undefined, keys.viewer)).body.share).toBe(0.05);
    const rows = await db.dataSource.query(`SELECT share, salt, hash_version FROM global_holdout`);
    expect(rows).toEqual([{ share: 0.05, salt, hash_version: 1 }]);
    const bad = await call('PUT', '/holdout/global', { share: 1 }, keys.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('share');
    const audit = await db.dataSource.getRepository(AuditLogEntity).find({ where: { action: 'PUT /holdout/global' } });
    expect(audit).toHaveLength(1);
    // A salt drawn by the service (no row yet) is written with the hash version it is used with.
    await db.dataSource.query(`DELETE FROM global_holdout`);
    expect((await call('PUT', '/holdout/global', { share: 0.02 }, keys.admin)).status).toBe(200);
    const [drawn] = await db.dataSource.query(`SELECT salt, hash_version FROM global_holdout WHERE id = 1`);
    expect(drawn).toEqual({ salt: expect.stringMatching(/^[0-9a-f]{32}$/), hash_version: 1 });
  });
});
