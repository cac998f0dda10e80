import axios from 'axios';
import { z } from 'zod';
import { AnyConnectorDefinition, allDelivered, defineConnector } from '@audiencekit/connector-sdk';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { SegmentDefinitionGate, SegmentRefreshService, SegmentsService } from '@audiencekit/segments-service';
import { AppConfig, JobQueue, QUEUES } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase, waitUntil } from '@audiencekit/testing';
import { DestinationGates } from '../delivery/destination-gates';
import { resolveSyncEngineOptions } from '../sync-engine.options';
import { SyncQueueWorker } from '../sync-queue-worker.service';
import { SyncRunner } from '../sync-runner';
import { SyncService } from '../sync.service';
import { seedActivation, seedSegment } from './sync-fixtures';

/** A small list connector over HTTP, pointed at a fake vendor by AK_CONNECTOR_BASE_URLS. */
function httpListConnector(slug: string): AnyConnectorDefinition {
  return defineConnector({
    slug,
    displayName: slug,
    channel: 'email',
    deliveryModel: 'list',
    settings: z.object({}),
    secrets: z.object({}),
    requiredIdentifiers: ['email'],
    limits: { maxBatchSize: 25 },
    testConnection: async () => undefined,
    upsert: async (ctx, members) => {
      await axios.post(`${ctx.baseUrl}/members`, { emails: members.map((member) => member.identifiers.email) }, { signal: ctx.signal });
      return allDelivered(members);
    },
  });
}

/**
 * Isolation: each destination has a queue of its own. While destination A's vendor hangs (its
 * sync stuck in a call), destination B's sync and a segment refresh, queued after it on the same
 * worker process, both finish.
 */
describe('sync isolation between destinations', () => {
  let db: TestDatabase;
  let queue: JobQueue;
  let hanging: FakeVendorServer;
  let healthy: FakeVendorServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    hanging = await startFakeVendor({ routes: { 'POST /members': () => ({ status: 200 }) } });
    hanging.fault({ hang: true });
    healthy = await startFakeVendor({ routes: { 'POST /members': () => ({ status: 200, body: {} }) } });
    queue = new JobQueue({ DATABASE_URL: db.url, SHUTDOWN_GRACE_MS: 2_000 } as AppConfig, {
      queues: [QUEUES.segmentRefresh],
      role: 'worker',
    });
    await queue.onModuleInit();
  });

  afterAll(async () => {
    await healthy?.stop();
    await hanging?.stop();
    await queue?.onApplicationShutdown();
    await db?.drop();
  });

  const statusOf = async (table: 'sync_runs' | 'segment_runs', id: string): Promise<string> =>
    (await db.dataSource.query(`SELECT status FROM ${table} WHERE id = $1`, [id]))[0].status;

  it('a hanging vendor delays neither another destination nor a segment refresh', async () => {
    const config = { AK_CONNECTOR_BASE_URLS: { 'iso-hanging': hanging.url, 'iso-healthy': healthy.url } };
    // The call timeout outlasts the test: A stays stuck in its call until its vendor goes away.
    const options = resolveSyncEngineOptions({ callTimeoutMs: 120_000, maxAttempts: 1 });
    const runner = new SyncRunner(
      db.dataSource,
      [httpListConnector('iso-hanging'), httpListConnector('iso-healthy')],
      config,
      options,
      new DestinationGates(),
    );
    const syncs = new SyncService(db.dataSource, queue, runner, options);
    const gate = new SegmentDefinitionGate();
    const refresh = new SegmentRefreshService(db.dataSource, new SegmentsService(db.dataSource, gate), gate, queue);
    await queue.work<{ runId: string }>(QUEUES.segmentRefresh, async ({ runId }) => void (await refresh.execute(runId)), 0.5);

    const { segmentId } = await seedSegment(db.dataSource, 60);
    const stuck = await seedActivation(db.dataSource, { segmentId, connector: 'iso-hanging', mode: 'mirror' });
    const fine = await seedActivation(db.dataSource, { segmentId, connector: 'iso-healthy', mode: 'mirror' });
    const worker = new SyncQueueWorker(db.dataSource, queue, syncs);
    expect((await worker.followNewQueues(0.5)).sort()).toEqual([`sync-${stuck.destinationId}`, `sync-${fine.destinationId}`].sort());

    const stuckRun = await syncs.requestSync(stuck.activationId);
    await waitUntil(async () => hanging.requests.length > 0, 30_000, 50);
    // A is now inside its vendor call. Queue B's sync and a refresh of another segment after it.
    const fineRun = await syncs.requestSync(fine.activationId);
    const [other] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('iso-de', 'Germans', 'test', 'manual', 1) RETURNING id`,
    );
    await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      other.id,
      { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } },
    ]);
    const refreshRun = await refresh.requestRefresh(other.id, 'manual');
    if (!refreshRun) throw new Error('the refresh was not queued');

    await waitUntil(
      async () =>
        (await statusOf('sync_runs', fineRun.id)) === 'succeeded' && (await statusOf('segment_runs', refreshRun.id)) === 'succeeded',
      30_000,
      50,
    );
    expect(healthy.requestsTo('POST /members')).toHaveLength(3);
    expect(await statusOf('sync_runs', stuckRun.id)).toBe('running');
    expect(hanging.requests).toHaveLength(1);

    // The vendor goes away: A's call fails, its run ends, and nothing of A ever reached B's vendor.
    await hanging.stop();
    await waitUntil(async () => (await statusOf('sync_runs', stuckRun.id)) !== 'running', 30_000, 50);
    expect(await statusOf('sync_runs', stuckRun.id)).toBe('failed');
  }, 60_000);
});
