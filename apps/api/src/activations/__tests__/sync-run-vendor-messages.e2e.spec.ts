import { z } from 'zod';
import { SyncService } from '@audiencekit/activation-engine';
import { defineConnector, PayloadValidationError } from '@audiencekit/connector-sdk';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';
import { TEST_CONNECTORS } from './test-connectors';

// ~120 KB of vendor answer quoting an address: what froze the API for 18 s when a viewer read the run.
const HUGE_VENDOR_MESSAGE = `<html>${'refused jane.doe@example.com; '.repeat(4_000)}</html>`;

const verboseConnector = defineConnector({
  slug: 'test-verbose',
  displayName: 'Vendor that answers with whole pages',
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
    throw new PayloadValidationError(HUGE_VENDOR_MESSAGE, 'HTTP 400');
  },
});

/** A run's stored vendor text is 2 KB with its original length; a viewer reads it masked. */
describe('vendor messages of sync runs through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let viewer: string;
  let runId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [...TEST_CONNECTORS, verboseConnector] });
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewer = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('all', 'All', 'crm', 'manual', 1) RETURNING id`,
    );
    const [segmentRun] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now()) RETURNING id`,
      [segment.id],
    );
    for (let index = 0; index < 3; index++) {
      const email = `member${index}@example.com`;
      const profileId = await insertProfile(db.dataSource, { email });
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, profileId]);
      await db.dataSource.query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), $3)`, [
        segment.id,
        profileId,
        segmentRun.id,
      ]);
    }
    const destination = await callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'Verbose',
      connector: 'test-verbose',
      settings: {},
      secrets: {},
    });
    expect(destination.status).toBe(201);
    const activation = await callApi(api.baseUrl, marketer, 'POST', '/activations', {
      name: 'All',
      segmentId: segment.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0,
      schedule: 'manual',
    });
    expect(activation.status).toBe(201);
    const queued = await callApi(api.baseUrl, marketer, 'POST', `/activations/${activation.body.id}/sync`, {});
    runId = queued.body.id;
    await api.app.get(SyncService).execute(runId);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('GET /sync-runs/:id shows the first 2 KB of the vendor message, masked, with reasonLength the original length', async () => {
    const { status, body } = await callApi(api.baseUrl, viewer, 'GET', `/sync-runs/${runId}`);
    expect(status).toBe(200);
    expect(body.status).toBe('failed');
    const error = body.errors.find((entry: { kind: string }) => entry.kind === 'batch_failed');
    const full = `payload refused by the vendor: ${HUGE_VENDOR_MESSAGE} (HTTP 400)`;
    expect(error.reasonLength).toBe(full.length);
    expect(error.reason.length).toBeLessThanOrEqual(2048);
    expect(error.reason).toMatch(/^payload refused by the vendor: <html>refused j\*\*\*@example\.com; /);
    expect(error.reason).not.toContain('jane.doe@');
  });
});
