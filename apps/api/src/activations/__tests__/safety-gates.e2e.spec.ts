import { z } from 'zod';
import { SyncService } from '@audiencekit/activation-engine';
import { defineConnector, delivered, MemberData } from '@audiencekit/connector-sdk';
import { AuditLogEntity } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

/** What the vendor was asked to do, member by member (the test's fake vendor list). */
const vendorCalls: { action: 'add' | 'remove'; email: string }[] = [];
const record = (action: 'add' | 'remove') => async (_ctx: unknown, members: readonly MemberData[]) => {
  vendorCalls.push(...members.map((member) => ({ action, email: String(member.identifiers.email) })));
  return members.map((member) => delivered(member));
};
const gateList = defineConnector({
  slug: 'gate-list',
  displayName: 'Gate test list',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100 },
  async testConnection() {
    return;
  },
  upsert: record('add'),
  remove: record('remove'),
});

/**
 * The mass-removal gate through the API (AK_MASS_REMOVAL_MIN 3, share 20%): a mirror sync after an
 * outage emptied the segment is held — the run says why, nothing is removed — until a marketer
 * confirms it with POST /sync-runs/:id/confirm; viewers cannot; both steps are audited.
 */
describe('safety gates through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const keys: Record<'admin' | 'marketer' | 'viewer', { id: string; secret: string }> = {} as never;
  const call = (method: string, path: string, body?: unknown, key = keys.marketer.secret) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [gateList], env: { AK_MASS_REMOVAL_MIN: '3' } });
    for (const role of ['admin', 'marketer', 'viewer'] as const) {
      const created = await api.app.get(ApiKeyService).create(role, role);
      keys[role] = { id: created.key.id, secret: created.secret };
    }
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const refresh = async (segmentId: string) => {
    const queued = await call('POST', `/segments/${segmentId}/refresh`);
    await api.app.get(SegmentRefreshService).execute(queued.body.runId);
  };

  it('holds a mirror sync that would empty the vendor list until a marketer confirms it', async () => {
    const segment = await call('POST', '/segments', {
      key: 'carts',
      name: 'Carts',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.cartAbandoner.definition,
    });
    const emails: string[] = [];
    for (let index = 0; index < 6; index++) {
      const id = await insertProfile(db.dataSource, {});
      emails.push(`shopper${index}@example.com`);
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [emails[index], id]);
      await insertEvent(db.dataSource, id, 'Product Added', daysAgo(2));
    }
    await refresh(segment.body.id);
    const destination = await call('POST', '/destinations', { name: 'list', connector: 'gate-list', settings: {} }, keys.admin.secret);
    const activation = await call('POST', '/activations', {
      name: 'Carts newsletter',
      segmentId: segment.body.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0,
      schedule: 'manual',
    });
    expect(activation.status).toBe(201);
    const first = await call('POST', `/activations/${activation.body.id}/sync`, {});
    await api.app.get(SyncService).execute(first.body.id);
    expect(vendorCalls.filter((c) => c.action === 'add')).toHaveLength(6);

    // The outage: the segment's events are gone; its next refresh finds nobody.
    await db.dataSource.query(`DELETE FROM events WHERE name = 'Product Added'`);
    await refresh(segment.body.id);
    const queued = await call('POST', `/activations/${activation.body.id}/sync`, {});
    expect(queued.status).toBe(202);
    expect(await api.app.get(SyncService).execute(queued.body.id)).toEqual({ status: 'skipped', reason: 'awaiting_confirmation' });
    const held = await call('GET', `/sync-runs/${queued.body.id}`, undefined, keys.viewer.secret);
    expect(held.body).toMatchObject({
      status: 'awaiting_confirmation',
      plan: { guard: { hold: true, gates: ['mass_removal'], removal: { removes: 6, held: 6, share: 0.2, min: 3 } } },
    });
    expect(held.body.plan.guard.reasons).toEqual([
      '6 removes of the 6 members the destination holds is above the mass-removal share of 20% (AK_MASS_REMOVAL_SHARE)',
    ]);
    expect(vendorCalls.filter((c) => c.action === 'remove')).toEqual([]);
    const listed = await call('GET', `/activations/${activation.body.id}/sync-runs?status=awaiting_confirmation`);
    expect(listed.body.items.map((run: { id: string }) => run.id)).toEqual([queued.body.id]);

    expect((await call('POST', `/sync-runs/${queued.body.id}/confirm`, undefined, keys.viewer.secret)).status).toBe(403);
    const released = await call('POST', `/sync-runs/${queued.body.id}/confirm`);
    expect(released.status).toBe(202);
    expect(released.body).toMatchObject({ status: 'queued', plan: { guard: { confirmedBy: keys.marketer.id } } });
    expect((await call('POST', `/sync-runs/${queued.body.id}/confirm`)).body).toMatchObject({ code: 'not_awaiting_confirmation' });
    expect(await api.app.get(SyncService).execute(queued.body.id)).toMatchObject({ status: 'succeeded', counts: { removed: 6 } });
    expect(
      vendorCalls
        .filter((c) => c.action === 'remove')
        .map((c) => c.email)
        .sort(),
    ).toEqual(emails.sort());

    const audit = await db.dataSource.getRepository(AuditLogEntity).find({ where: { objectId: queued.body.id }, order: { id: 'ASC' } });
    expect(audit.map((row) => [row.action, row.actorKeyId])).toEqual([
      ['sync_gate.held', null],
      ['sync_gate.confirmed', keys.marketer.id],
      ['POST /sync-runs/:id/confirm', keys.marketer.id],
    ]);
    expect(audit[1].details).toMatchObject({ gates: ['mass_removal'] });
  });
});
