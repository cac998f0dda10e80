import { z } from 'zod';
import { SyncService } from '@audiencekit/activation-engine';
import { defineConnector, PayloadValidationError } from '@audiencekit/connector-sdk';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';
import { TEST_CONNECTORS } from './test-connectors';

const refusingConnector = defineConnector({
  slug: 'test-refusing',
  displayName: 'Vendor that refuses every batch',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100 },
  async testConnection() {
    return;
  },
  async upsert() {
    throw new PayloadValidationError('refused member0@example.com', 'HTTP 400');
  },
});

/**
 * Run control of syncs through the API: a failed run's rejected records with their reasons (masked
 * below admin), its retry (a new run), the cancel of that queued run, roles, and bad input.
 */
describe('sync run rejections, retry and cancel through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  let marketer: string;
  let viewer: string;
  let runId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [...TEST_CONNECTORS, refusingConnector] });
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('all', 'All', 'crm', 'manual', 1) RETURNING id`,
    );
    for (let index = 0; index < 3; index++) {
      const email = `member${index}@example.com`;
      const profileId = await insertProfile(db.dataSource, { email });
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, profileId]);
      await db.dataSource.query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), NULL)`,
        [segment.id, profileId],
      );
    }
    const destination = await callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'R',
      connector: 'test-refusing',
      settings: {},
      secrets: {},
    });
    const activation = await callApi(api.baseUrl, marketer, 'POST', '/activations', {
      name: 'All',
      segmentId: segment.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0,
      schedule: 'manual',
    });
    const queued = await callApi(api.baseUrl, marketer, 'POST', `/activations/${activation.body.id}/sync`, {});
    runId = queued.body.id;
    await api.app.get(SyncService).execute(runId);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('lists the rejected records with their reasons, paged; identifiers masked below admin', async () => {
    const asAdmin = await callApi(api.baseUrl, admin, 'GET', `/sync-runs/${runId}/rejections?limit=2`);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(asAdmin.body.items).toHaveLength(2);
    expect(asAdmin.body.items[0]).toMatchObject({ kind: 'failed', code: null, reason: expect.stringMatching(/refused/) });
    const asViewer = await callApi(api.baseUrl, viewer, 'GET', `/sync-runs/${runId}/rejections?offset=2`);
    expect(asViewer.body.items).toHaveLength(1);
    expect(JSON.stringify(asViewer.body)).not.toMatch(/member\d@example\.com/);
    const bad = await callApi(api.baseUrl, viewer, 'GET', `/sync-runs/${runId}/rejections?kind=lost`);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('query.kind');
    const unknown = await callApi(api.baseUrl, viewer, 'GET', `/sync-runs/00000000-0000-4000-8000-000000000000/rejections`);
    expect(unknown.status).toBe(404);
  });

  it('retries the failed run as a new run, and cancels that queued run; viewers may do neither', async () => {
    expect((await callApi(api.baseUrl, viewer, 'POST', `/sync-runs/${runId}/retry`)).status).toBe(403);
    const retried = await callApi(api.baseUrl, marketer, 'POST', `/sync-runs/${runId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', trigger: 'retry' });
    expect(retried.body.id).not.toBe(runId);
    expect((await callApi(api.baseUrl, viewer, 'POST', `/sync-runs/${retried.body.id}/cancel`)).status).toBe(403);
    const cancelled = await callApi(api.baseUrl, marketer, 'POST', `/sync-runs/${retried.body.id}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('cancelled');
    const again = await callApi(api.baseUrl, marketer, 'POST', `/sync-runs/${retried.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('sync_run_not_cancellable');
    const listed = await callApi(api.baseUrl, viewer, 'GET', `/activations/${retried.body.activationId}/sync-runs?status=cancelled`);
    expect(listed.body.items.map((run: { id: string }) => run.id)).toEqual([retried.body.id]);
    const audit = await callApi(api.baseUrl, admin, 'GET', `/audit-log?objectId=${retried.body.id}`);
    expect(audit.body.items.map((entry: { action: string }) => entry.action)).toContain('POST /sync-runs/:id/cancel');
  });
});
