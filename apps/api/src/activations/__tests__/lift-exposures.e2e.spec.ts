import { SyncService } from '@audiencekit/activation-engine';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

const AUDIENCE = 80;

/**
 * Exposures are measurement data: a member enters the lift report's control or treatment arm only
 * when the run actually delivered the treatment. Issue #16: a run that failed on bad credentials
 * used to record the control arm before any delivery, so the lift read "control 46 / treatment 0,
 * SRM detected". Here a real sync run fails at a fake vendor answering 401, then succeeds.
 */
describe('exposures follow delivery (lift report arms)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let vendor: FakeVendorServer;
  let marketer: string;
  let activationId: string;
  let vendorAccepts = false;
  const call = (method: string, path: string, body?: unknown) => callApi(api.baseUrl, marketer, method, path, body);
  const exposures = async () =>
    Object.fromEntries(
      (
        await db.dataSource.query(`SELECT arm, count(*)::int AS n FROM activation_exposures WHERE activation_id = $1 GROUP BY arm`, [
          activationId,
        ])
      ).map((row: { arm: string; n: number }) => [row.arm, row.n]),
    );
  const runSync = async () => {
    const queued = await call('POST', `/activations/${activationId}/sync`, {});
    expect(queued.status).toBe(202);
    await api.app.get(SyncService).execute(queued.body.id);
    return (await db.dataSource.query(`SELECT status, counts FROM sync_runs WHERE id = $1`, [queued.body.id]))[0];
  };
  const lift = async () =>
    (await call('GET', `/activations/${activationId}/lift?asOf=${new Date(Date.now() + 60_000).toISOString()}`)).body.report;

  beforeAll(async () => {
    vendor = await startFakeVendor({
      routes: {
        'POST /v1/lists/:id/members': () =>
          vendorAccepts ? { status: 200, body: { ok: true } } : { status: 401, body: { error: 'invalid api key' } },
      },
    });
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_CONNECTOR_BASE_URLS: `test-list=${vendor.url}` } });
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    const admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    const [segment] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, kpi) VALUES ('all', 'All', 'crm', 'manual', 1, $1) RETURNING id`,
      [JSON.stringify({ event: 'Order Completed', windowDays: 7 })],
    );
    const [segmentRun] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now()) RETURNING id`,
      [segment.id],
    );
    for (let index = 0; index < AUDIENCE; index++) {
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
      name: 'List',
      connector: 'test-list',
      settings: { listId: 'all' },
      secrets: { apiKey: 'sk_test_revoked' },
    });
    expect(destination.status).toBe(201);
    const activation = await call('POST', '/activations', {
      name: 'Half held out',
      segmentId: segment.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0.5,
      schedule: 'manual',
    });
    expect(activation.status).toBe(201);
    activationId = activation.body.id;
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await vendor?.stop();
  });

  it('records no exposure of either arm for a run that failed on invalid credentials, so the lift shows no SRM', async () => {
    const run = await runSync();
    expect(run.status).toBe('failed');
    expect(vendor.requestsTo('POST /v1/lists/:id/members').length).toBeGreaterThan(0); // it did reach the vendor, and was refused
    expect(await exposures()).toEqual({});
    const report = await lift();
    expect(report.arms.control.members).toBe(0);
    expect(report.arms.treatment.members).toBe(0);
    expect(report.sampleRatioMismatch.detected).toBe(false);
  });

  it('records both arms once the treated members are delivered, each member once', async () => {
    vendorAccepts = true;
    const run = await runSync();
    expect(run.status).toBe('succeeded');
    const arms = await exposures();
    expect(arms.treatment).toBe(run.counts.added);
    expect(arms.control).toBe(run.counts.heldOutActivation);
    expect(arms.treatment + arms.control).toBe(AUDIENCE);
    const report = await lift();
    expect(report.arms).toMatchObject({ control: { members: arms.control }, treatment: { members: arms.treatment } });
    expect(report.sampleRatioMismatch.detected).toBe(false);

    // A later run delivers nothing new: the held-out members are read again but never exposed twice.
    const again = await runSync();
    expect(again.status).toBe('succeeded');
    expect(await exposures()).toEqual(arms);
  });
});
