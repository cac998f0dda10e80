import { Module, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { ActivationModule, SyncService } from '@audiencekit/activation-engine';
import { defineConnector, delivered } from '@audiencekit/connector-sdk';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { createSegmentSchema, SegmentRefreshService, SegmentsModule } from '@audiencekit/segments-service';
import { ConfigModule, DatabaseModule, loadConfig, QueueModule } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { openOpsContext, OpsServices } from '../ops/ops-context';
import { EXIT, runsShow, segmentsList, segmentsRefresh, syncActivation } from '../ops/ops-commands';
import { runsConfirm } from '../ops/sync-confirm-command';

// A send-time connector of the test's own (no vendor behind it: the CLI never calls one).
const smsConnector = defineConnector({
  slug: 'cli-test-sms',
  displayName: 'CLI test SMS',
  channel: 'sms',
  deliveryModel: 'send',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['phone'],
  limits: { maxBatchSize: 10 },
  async testConnection() {
    return;
  },
  async send(_ctx, batch) {
    return batch.members.map((member) => delivered(member));
  },
});

/**
 * The ops commands over a real Postgres: the CLI queues through the same services as the API,
 * and follows each run while a "worker" (the job handlers' services, in a context of its own with
 * a connector) executes it.
 */
describe('CLI ops commands', () => {
  let db: TestDatabase;
  let ops: OpsServices;
  let worker: INestApplicationContext;
  let segmentId: string;
  let lines: string[];
  const print = (line: string) => lines.push(line);
  const fast = { wait: true, pollMs: 20, timeoutMs: 30_000 };

  /** Executes the first queued run of `table` once it appears, as a worker's job handler would. */
  const workOne = async (table: 'segment_runs' | 'sync_runs', execute: (id: string) => Promise<unknown>) => {
    for (let polls = 0; polls < 500; polls++) {
      const [row] = await db.dataSource.query(`SELECT id FROM ${table} WHERE status = 'queued' ORDER BY queued_at DESC LIMIT 1`);
      if (row) return execute(row.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no queued run in ${table}`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ops = await openOpsContext(db.url);
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', AK_MASS_SEND_THRESHOLD: '5' });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'cli-test-worker'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        SegmentsModule,
        ActivationModule.forRoot({ connectors: [smsConnector] }),
      ],
    })
    class TestWorkerModule {}
    worker = await NestFactory.createApplicationContext(TestWorkerModule, { logger: false });
    for (let index = 0; index < 4; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('phone', $1, $2)`, [`+4477009000${index}1`, id]);
      await db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ($1, $2, 'track', 'Product Added', now() - interval '2 days')`,
        [`cli-${index}`, id],
      );
    }
    const segment = await ops.segments.create(
      createSegmentSchema.parse({
        key: 'carts',
        name: 'Cart abandoners',
        owner: 'crm',
        definition: EXAMPLE_SEGMENTS.cartAbandoner.definition,
      }),
      null,
    );
    segmentId = segment.id;
  }, 60_000);

  beforeEach(() => {
    lines = [];
  });

  afterAll(async () => {
    await worker?.close();
    await ops?.close();
    await db?.drop();
  });

  it('lists segments as a table with the total', async () => {
    await expect(segmentsList(ops, print, { limit: 50, offset: 0 })).resolves.toBe(EXIT.ok);
    expect(lines[0]).toMatch(/^KEY\s+STATUS\s+OWNER/);
    expect(lines[1]).toMatch(new RegExp(`^carts\\s+active\\s+crm\\s+.*${segmentId}\\s+Cart abandoners$`));
    expect(lines.at(-1)).toBe('1 of 1 segment(s)');
  });

  it('queues a refresh by key and follows it until the worker finishes it', async () => {
    const [code] = await Promise.all([
      segmentsRefresh(ops, print, 'carts', fast),
      workOne('segment_runs', (id) => worker.get(SegmentRefreshService).execute(id)),
    ]);
    expect(code).toBe(EXIT.ok);
    expect(lines[0]).toMatch(/^queued refresh run [0-9a-f-]{36} of segment carts \(version 1\)$/);
    expect(lines.some((line) => line.endsWith(' queued'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^refresh succeeded: size 4, \+4 \/ -0, version 1, \d+ ms$/);
  });

  it('returns at once with --no-wait, the run left queued for the workers', async () => {
    await expect(segmentsRefresh(ops, print, segmentId, { ...fast, wait: false })).resolves.toBe(EXIT.ok);
    const runId = /run ([0-9a-f-]{36})/.exec(lines[0])?.[1] ?? '';
    expect((await db.dataSource.query(`SELECT status FROM segment_runs WHERE id = $1`, [runId]))[0].status).toBe('queued');
    await worker.get(SegmentRefreshService).execute(runId);
  });

  it('syncs an activation with progress to the end, and shows the run', async () => {
    const [{ id: destinationId }] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector) VALUES ('sms', 'cli-test-sms') RETURNING id`,
    );
    const [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule, message) VALUES ('sms', $1, $2, 'send', 0, 'salt', 'manual', '{"text":"hi"}') RETURNING id`,
      [segmentId, destinationId],
    );
    const [code] = await Promise.all([
      syncActivation(ops, print, activationId, fast),
      workOne('sync_runs', (id) => worker.get(SyncService).execute(id)),
    ]);
    expect(code).toBe(EXIT.ok);
    expect(lines.at(-1)).toMatch(/^sync run [0-9a-f-]{36} succeeded in \d+ ms: .*sent=4/);
    const runId = /run ([0-9a-f-]{36})/.exec(lines[0])?.[1] as string;

    lines = [];
    await expect(runsShow(ops, print, runId)).resolves.toBe(EXIT.ok);
    expect(lines[0]).toBe(`sync run ${runId} of activation ${activationId}`);
    expect(lines[1]).toMatch(/^status succeeded, trigger manual, segment version 1/);
    expect(lines[2]).toContain('sent=4');
  });

  it('reports a send held by the mass-send guard with exit code 3', async () => {
    for (let index = 0; index < 6; index++) {
      const [{ id }] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ('phone', $1, $2)`, [`+4477009001${index}1`, id]);
      await db.dataSource.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ($1, $2, 'track', 'Product Added', now() - interval '2 days')`,
        [`cli-more-${index}`, id],
      );
    }
    await Promise.all([
      segmentsRefresh(ops, () => undefined, 'carts', fast),
      workOne('segment_runs', (id) => worker.get(SegmentRefreshService).execute(id)),
    ]);
    const [{ id: activationId }] = await db.dataSource.query(`SELECT id FROM activations LIMIT 1`);
    const [code] = await Promise.all([
      syncActivation(ops, print, activationId, fast),
      workOne('sync_runs', (id) => worker.get(SyncService).execute(id)),
    ]);
    expect(code).toBe(EXIT.held);
    expect(lines).toContain('held for confirmation (mass send): 6 messages is above the mass-send threshold of 5');
  });

  it('confirms a held send (runs confirm): released to the workers, audited; a second confirm is refused', async () => {
    const [held] = await db.dataSource.query(`SELECT id FROM sync_runs WHERE status = 'awaiting_confirmation' LIMIT 1`);
    expect(await runsConfirm(ops, print, held.id)).toBe(EXIT.ok);
    expect(lines).toEqual([`sync run ${held.id} confirmed: queued for the workers`]);
    const [audit] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'mass_send_guard.confirmed' AND object_id = $1`,
      [held.id],
    );
    expect(audit.n).toBe(1);
    expect(await runsConfirm(ops, print, held.id)).toBe(EXIT.failed);
    expect(lines[1]).toContain('not awaiting confirmation');
  });

  it('shows a segment run, and says so for an unknown id', async () => {
    const [{ id }] = await db.dataSource.query(`SELECT id FROM segment_runs WHERE status = 'succeeded' ORDER BY finished_at LIMIT 1`);
    await expect(runsShow(ops, print, id)).resolves.toBe(EXIT.ok);
    expect(lines).toEqual([`segment refresh run ${id} of carts`, expect.stringMatching(/^refresh succeeded: size 4, \+4 \/ -0/)]);
    lines = [];
    await expect(runsShow(ops, print, '00000000-0000-4000-8000-000000000000')).resolves.toBe(EXIT.failed);
    expect(lines).toEqual(['no segment refresh run or sync run 00000000-0000-4000-8000-000000000000']);
    await expect(runsShow(ops, print, 'nope')).rejects.toThrow('"nope" is not a run id');
  });
});
