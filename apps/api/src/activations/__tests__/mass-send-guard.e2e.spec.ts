import { SyncService } from '@audiencekit/activation-engine';
import { AuditLogEntity } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

/**
 * The mass-send guard through the API (threshold 5 messages, growth 50%): an API send over it is
 * held (409 with a token, nothing sent) until a marketer confirms; a scheduled send over it is
 * parked by the runner as awaiting_confirmation; a send under it goes out at once. Every decision
 * and confirmation is an explicit audit row with the figures and the key.
 */
describe('the mass-send guard', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', { id: string; secret: string }> = {} as never;
  let segmentId: string;
  let activationId: string;
  let phone = 0;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer.secret) => callApi(api.baseUrl, key, method, path, body);

  const addShoppers = async (count: number) => {
    for (let index = 0; index < count; index++) {
      const id = await insertProfile(db.dataSource, {});
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('phone', $1, $2)`, [
        `+4477009${String(phone++).padStart(5, '0')}`,
        id,
      ]);
      await insertEvent(db.dataSource, id, 'Product Added', daysAgo(2));
    }
    const refresh = await call('POST', `/segments/${segmentId}/refresh`);
    await api.app.get(SegmentRefreshService).execute(refresh.body.runId);
  };
  const sentCount = async () =>
    Number(
      (
        await db.dataSource.query(`SELECT count(*) AS n FROM activation_members WHERE activation_id = $1 AND state = 'sent'`, [
          activationId,
        ])
      )[0].n,
    );
  const auditRows = (action: string) => db.dataSource.getRepository(AuditLogEntity).find({ where: { action }, order: { id: 'ASC' } });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_MASS_SEND_THRESHOLD: '5', AK_MASS_SEND_GROWTH_PCT: '50' } });
    for (const role of ['admin', 'marketer', 'viewer'] as const) {
      const created = await api.app.get(ApiKeyService).create(role, role);
      keys[role] = { id: created.key.id, secret: created.secret };
    }
    const segment = await call('POST', '/segments', {
      key: 'carts',
      name: 'Carts',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.cartAbandoner.definition,
    });
    segmentId = segment.body.id;
    await addShoppers(8);
    const destination = await call(
      'POST',
      '/destinations',
      { name: 'sms', connector: 'test-sms', settings: { from: '+15551234567' } },
      keys.admin.secret,
    );
    const activation = await call('POST', '/activations', {
      name: 'Win back by SMS',
      segmentId,
      destinationId: destination.body.id,
      mode: 'send',
      message: { text: 'Your cart misses you' },
      holdoutShare: 0,
      schedule: 'manual',
    });
    expect(activation.status).toBe(201);
    activationId = activation.body.id;
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('holds an API send above the threshold until a marketer confirms it', async () => {
    const held = await call('POST', `/activations/${activationId}/sync`, {});
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({
      statusCode: 409,
      code: 'confirmation_required',
      count: 8,
      threshold: 5,
      lastRunSent: null,
      details: [{ path: 'confirm' }],
    });
    const token = held.body.confirmationToken;
    expect((await call('GET', `/sync-runs/${token}`)).body).toMatchObject({
      status: 'awaiting_confirmation',
      plan: { guard: { hold: true, count: 8 } },
    });
    expect(await api.app.get(SyncService).execute(token)).toMatchObject({ status: 'skipped', reason: 'awaiting_confirmation' });
    expect(await sentCount()).toBe(0);
    const [heldRow] = await auditRows('mass_send_guard.held');
    expect(heldRow).toMatchObject({
      actorKeyId: keys.marketer.id,
      objectId: token,
      details: expect.objectContaining({ count: 8, threshold: 5, lastRunSent: null, activationId }),
    });

    expect((await call('POST', `/activations/${activationId}/sync`, { confirm: token }, keys.viewer.secret)).status).toBe(403);
    expect((await call('POST', `/activations/${activationId}/sync`, { confirm: 'not-a-uuid' })).body.details).toEqual([
      { path: 'confirm', message: expect.any(String) },
    ]);
    const released = await call('POST', `/activations/${activationId}/sync`, { confirm: token });
    expect(released.status).toBe(202);
    expect(released.body).toMatchObject({ id: token, status: 'queued', plan: { guard: { confirmedBy: keys.marketer.id } } });
    expect(await api.app.get(SyncService).execute(token)).toMatchObject({ status: 'succeeded' });
    expect(await sentCount()).toBe(8);
    const [confirmedRow] = await auditRows('mass_send_guard.confirmed');
    expect(confirmedRow).toMatchObject({
      actorKeyId: keys.marketer.id,
      objectId: token,
      details: expect.objectContaining({ confirmedBy: keys.marketer.id, count: 8, threshold: 5 }),
    });

    const again = await call('POST', `/sync-runs/${token}/confirm`);
    expect(again).toMatchObject({ status: 409, body: { code: 'not_awaiting_confirmation' } });
  }, 30_000);

  it('parks a scheduled send over the guard as awaiting_confirmation; an admin releases it', async () => {
    await addShoppers(6); // 6 new messages: above the threshold of 5, below 150% of the last run's 8
    const requested = await api.app
      .get(SyncService)
      .requestScheduled(activationId, { trigger: 'after_refresh', triggerKey: 'refresh:test' });
    if (!requested) throw new Error('the scheduled sync was not requested');
    const run = requested;
    expect(await api.app.get(SyncService).execute(run.id)).toMatchObject({ status: 'skipped', reason: 'awaiting_confirmation' });
    expect((await call('GET', `/sync-runs/${run.id}`)).body).toMatchObject({
      status: 'awaiting_confirmation',
      plan: { guard: { count: 6, lastRunSent: 8, hold: true } },
    });
    expect(await sentCount()).toBe(8);
    const held = (await auditRows('mass_send_guard.held')).find((row) => row.objectId === run.id);
    expect(held).toMatchObject({
      actorKeyId: null,
      details: expect.objectContaining({ count: 6, lastRunSent: 8, trigger: 'after_refresh' }),
    });

    const released = await call('POST', `/sync-runs/${run.id}/confirm`, undefined, keys.admin.secret);
    expect(released).toMatchObject({ status: 202, body: { status: 'queued' } });
    expect(await api.app.get(SyncService).execute(run.id)).toMatchObject({ status: 'succeeded' });
    expect(await sentCount()).toBe(14);
    expect((await auditRows('mass_send_guard.confirmed')).map((row) => row.actorKeyId)).toContain(keys.admin.id);
  }, 30_000);

  it('sends at once under the guard, recording the decision on the run', async () => {
    await addShoppers(2);
    const queued = await call('POST', `/activations/${activationId}/sync`, {});
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued', plan: { guard: { hold: false, count: 2, lastRunSent: 6 } } });
    expect(await api.app.get(SyncService).execute(queued.body.id)).toMatchObject({ status: 'succeeded' });
    expect(await sentCount()).toBe(16);
  }, 30_000);
});
