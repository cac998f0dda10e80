import { SyncQueueWorker } from '@audiencekit/activation-engine';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../../test/seed-data';
import { callApi, startActivationsTestApi } from './activations-test-app';

const AUDIENCE = 60;

/**
 * Issue 8's marketer workflow through the API only: a cart-abandoner segment is previewed and
 * saved, a destination and an activation with a 10% holdout are created, a sync is triggered and
 * watched to completion by polling GET /sync-runs/:id while the worker's queue consumer (the same
 * SyncQueueWorker the worker app runs, subscribed to pg-boss here) picks the job up and runs it, and
 * the lift report is read. The fake vendor must have received every treated member and no control.
 */
describe('the marketer workflow, end to end through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let vendor: FakeVendorServer;
  let marketer: string;
  let admin: string;
  const emails: string[] = [];
  const call = (method: string, path: string, body?: unknown, key = marketer) => callApi(api.baseUrl, key, method, path, body);

  beforeAll(async () => {
    vendor = await startFakeVendor({ routes: { 'POST /v1/lists/:id/members': () => ({ status: 200, body: { ok: true } }) } });
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { env: { AK_CONNECTOR_BASE_URLS: `test-list=${vendor.url}` } });
    marketer = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    admin = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    for (let index = 0; index < AUDIENCE; index++) {
      const email = `shopper${index}@example.com`;
      const id = await insertProfile(db.dataSource, { email });
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, id]);
      await insertEvent(db.dataSource, id, 'Product Added', daysAgo(2));
      emails.push(email);
    }
  }, 60_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
    await vendor.stop();
  });

  it('previews, saves, activates with a 10% holdout, syncs and reads the lift', async () => {
    const { definition } = EXAMPLE_SEGMENTS.cartAbandoner;
    const preview = await call('POST', '/segments/preview', { definition, sampleSize: 0 });
    expect(preview.status).toBe(200);
    expect(preview.body.size).toBe(AUDIENCE);

    const segment = await call('POST', '/segments', {
      key: 'cart-abandoner',
      name: 'Cart abandoner',
      owner: 'crm',
      definition,
      kpi: { event: 'Order Completed', windowDays: 7, valueProperty: 'revenue' },
    });
    expect(segment.status).toBe(201);
    const refresh = await call('POST', `/segments/${segment.body.id}/refresh`);
    await api.app.get(SegmentRefreshService).execute(refresh.body.runId);

    const destination = await call(
      'POST',
      '/destinations',
      { name: 'Newsletter', connector: 'test-list', settings: { listId: 'cart' }, secrets: { apiKey: 'sk_test_workflow' } },
      admin,
    );
    expect(destination.status).toBe(201);
    const activation = await call('POST', '/activations', {
      name: 'Win back carts',
      segmentId: segment.body.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0.1,
      schedule: 'manual',
    });
    expect(activation.status).toBe(201);

    const dryRun = await call('POST', `/activations/${activation.body.id}/dry-run`, { sampleSize: 3 });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ dryRun: true });
    expect(vendor.requests).toHaveLength(0); // a dry run sends nothing

    await api.app.get(SyncQueueWorker).followNewQueues(1); // consume the destination's queue, as a worker does
    const queued = await call('POST', `/activations/${activation.body.id}/sync`, {});
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued', dryRun: false, activationId: activation.body.id });
    const seen = new Set<string>();
    let run = await call('GET', `/sync-runs/${queued.body.id}`);
    for (let polls = 0; !['succeeded', 'partial', 'failed'].includes(run.body.status) && polls < 900; polls++) {
      seen.add(run.body.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await call('GET', `/sync-runs/${queued.body.id}`);
    }
    expect(run.body.status).toBe('succeeded');
    expect([...seen].filter((status) => !['queued', 'running'].includes(status))).toEqual([]);
    expect(run.body.counts).toMatchObject({ added: expect.any(Number), heldOutActivation: expect.any(Number) });
    const runs = await call('GET', `/activations/${activation.body.id}/sync-runs`);
    expect(runs.body.items.map((item: any) => item.id)).toContain(queued.body.id);

    const arms: { profile_id: string; arm: string }[] = await db.dataSource.query(
      `SELECT profile_id, arm FROM activation_exposures WHERE activation_id = $1`,
      [activation.body.id],
    );
    const control = arms.filter((row) => row.arm === 'control');
    const treatment = arms.filter((row) => row.arm === 'treatment');
    expect(control.length + treatment.length).toBe(AUDIENCE);
    expect(control.length).toBeGreaterThan(0);
    const sent = vendor.requestsTo('POST /v1/lists/:id/members').flatMap((request) => (request.body as { emails: string[] }).emails);
    const emailOf = new Map<string, string>(
      (await db.dataSource.query(`SELECT profile_id, value FROM identities`)).map((row: any) => [row.profile_id, row.value]),
    );
    expect(new Set(sent)).toEqual(new Set(treatment.map((row) => emailOf.get(row.profile_id))));
    expect(sent.filter((email) => control.some((row) => emailOf.get(row.profile_id) === email))).toEqual([]);

    // Half the treated members buy after the send; nobody in control does.
    const [{ exposed_at: exposedAt }] = await db.dataSource.query(
      `SELECT min(exposed_at) AS exposed_at FROM activation_exposures WHERE activation_id = $1`,
      [activation.body.id],
    );
    const buyers = treatment.filter((_, index) => index % 2 === 0);
    for (const buyer of buyers)
      await insertEvent(db.dataSource, buyer.profile_id, 'Order Completed', new Date(new Date(exposedAt).getTime() + 1000), {
        revenue: 30,
      });

    const lift = await call('GET', `/activations/${activation.body.id}/lift?asOf=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(lift.status).toBe(200);
    expect(lift.body.report.arms.treatment).toMatchObject({ members: treatment.length, conversions: buyers.length });
    expect(lift.body.report.arms.control).toMatchObject({ members: control.length, conversions: 0 });
    expect(lift.body.report.configuredControlShare).toBe(0.1);
    expect(lift.body.report.conversion.absoluteLift.estimate).toBeCloseTo(buyers.length / treatment.length, 12);
  }, 60_000);
});
