import path from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import PgBoss from 'pg-boss';
import { ActivationModule, SyncRequestsService } from '@audiencekit/activation-engine';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ConfigModule, DatabaseModule, loadConfig, QUEUES, QueueModule } from '@audiencekit/server-core';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil, WORKSPACE_ROOT } from '@audiencekit/testing';

const CONNECTOR_MODULE = path.join(WORKSPACE_ROOT, 'apps/worker/test/fake-list-connector.ts');
const PEOPLE = 5;

/**
 * Issue #19's safety gate, end to end: a real worker, real refreshes, a fake vendor over HTTP and the
 * operator's notification webhook. An upstream outage (the segment's events gone) makes the next
 * refresh find nobody; its after-refresh mirror sync is held — nothing is removed at the vendor —
 * and the operator is notified; once a marketer confirms (the engine's door, as the API and the CLI
 * call it), the removes go out.
 */
describe('a segment emptied by an upstream outage', () => {
  let db: TestDatabase;
  let vendor: FakeVendorServer;
  let worker: SpawnedProcess | undefined;
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const listRequests = (action: 'add' | 'remove') =>
    vendor
      .requestsTo('POST /lists/members')
      .map((request) => request.body as { action: string; members: { email: string }[] })
      .filter((body) => body.action === action)
      .flatMap((body) => body.members.map((member) => member.email));
  const notified = () => vendor.requestsTo('POST /notify').map((request) => request.body as { kind: string; [key: string]: any });

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = await startFakeVendor({
      routes: {
        'POST /lists/members': () => ({ status: 200, body: { ok: true } }),
        'POST /notify': () => ({ status: 204 }),
      },
    });
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await vendor?.stop();
    await db?.drop();
  });

  async function refresh(segmentId: string): Promise<string> {
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, 1, 'queued', 'manual') RETURNING id`,
      [segmentId],
    );
    const boss = new PgBoss({ connectionString: db.url, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.send(QUEUES.segmentRefresh, { runId: segmentRun.id });
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
    return segmentRun.id;
  }

  const syncOf = async (activationId: string, segmentRunId: string) =>
    (
      await query(`SELECT id, status, plan FROM sync_runs WHERE activation_id = $1 AND trigger_key = $2`, [
        activationId,
        `refresh:${segmentRunId}`,
      ])
    )[0];

  it('holds the mirror sync, removes nothing and notifies until a marketer confirms; then removes everyone', async () => {
    worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_TICK_MS: '600000',
      AK_EXTRA_CONNECTORS: CONNECTOR_MODULE,
      AK_CONNECTOR_BASE_URLS: `on-change-list=${vendor.url}`,
      AK_MASS_REMOVAL_MIN: '1',
      AK_NOTIFY_WEBHOOK_URL: `${vendor.url}/notify`,
      AK_NOTIFY_WEBHOOK_SECRET: 'outage-test-secret-0123456789',
      AK_NOTIFY_POLL_MS: '100',
      // The notification receiver is on 127.0.0.1: allowed explicitly, as an operator would.
      AK_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    });
    await worker.waitFor(/audiencekit-worker up/, 30_000);

    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version, quality_thresholds)
       VALUES ('carts', 'Cart abandoner', 'crm', 'manual', 1, '{"minSize": 1, "maxChurn": 0.5}') RETURNING id`,
    );
    await query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
      segment.id,
      EXAMPLE_SEGMENTS.cartAbandoner.definition,
    ]);
    const emails: string[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      const [profile] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      emails.push(`cart${i}@example.com`);
      await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [emails[i], profile.id]);
      await query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ($1, $2, 'track', 'Product Added', now() - interval '1 day')`,
        [`cart-${i}`, profile.id],
      );
    }
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('ESP', 'on-change-list', '{}') RETURNING id`,
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('Carts to ESP', $1, $2, 'mirror', 0, 'outage-salt', 'after_refresh') RETURNING id`,
      [segment.id, destination.id],
    );

    const first = await refresh(segment.id);
    await waitUntil(async () => (await syncOf(activation.id, first))?.status === 'succeeded', 30_000);
    expect(listRequests('add').sort()).toEqual([...emails].sort());

    // The outage: the events feeding the segment are gone, so the next refresh finds nobody.
    await query(`DELETE FROM events WHERE name = 'Product Added'`);
    const second = await refresh(segment.id);
    await waitUntil(async () => (await syncOf(activation.id, second))?.status === 'awaiting_confirmation', 30_000);
    const [refreshed] = await query(`SELECT status, size, quality FROM segment_runs WHERE id = $1`, [second]);
    expect(refreshed).toMatchObject({ status: 'succeeded', size: 0, quality: { empty: true, unstable: true } });
    const held = await syncOf(activation.id, second);
    expect(held.plan.guard).toMatchObject({ gates: ['mass_removal', 'refresh_quality'], removal: { removes: PEOPLE, held: PEOPLE } });
    await waitUntil(async () => notified().some((body) => body.kind === 'sync_run.held'), 30_000);
    expect(notified().find((body) => body.kind === 'sync_run.held')).toMatchObject({
      syncRun: { id: held.id },
      activation: { id: activation.id, name: 'Carts to ESP' },
      gates: ['mass_removal', 'refresh_quality'],
    });
    expect(notified().find((body) => body.kind === 'segment_refresh.quality')).toMatchObject({
      segmentRun: { id: second, size: 0 },
      flags: ['empty', 'notSubstantial', 'unstable'],
    });
    expect(vendor.requestsTo('POST /notify')[0].headers['x-audiencekit-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(listRequests('remove')).toEqual([]);

    // A marketer confirms through the engine's door (what POST /sync-runs/:id/confirm and `runs confirm` call).
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'outage-test'),
        QueueModule.forRoot({ queues: Object.values(QUEUES), role: 'producer' }),
        ActivationModule.forRoot({ connectors: [] }),
      ],
    })
    class ConfirmModule {}
    const app = await NestFactory.createApplicationContext(ConfirmModule, { logger: false });
    try {
      await app.get(SyncRequestsService).confirm(held.id, null);
    } finally {
      await app.close();
    }
    await waitUntil(async () => (await syncOf(activation.id, second))?.status === 'succeeded', 30_000);
    expect(listRequests('remove').sort()).toEqual([...emails].sort());

    worker.child.kill('SIGTERM');
    expect((await worker.exited()).code).toBe(0);
  }, 120_000);
});
