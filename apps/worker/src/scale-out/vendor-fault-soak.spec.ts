import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ActivationModule, SyncEngineOptions, SyncService } from '@audiencekit/activation-engine';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { ConfigModule, DatabaseModule, loadConfig, QueueModule } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { FaultMix, FaultyVendor, faultyListConnector, startFaultyVendor } from '../../test/faulty-vendor';

const MEMBERS = 5_000;
const BATCH = 100;
const MAX_RUNS = 3;
const ENGINE: Partial<SyncEngineOptions> = {
  // Well above a normal answer even while the whole suite loads both cores: at 250 ms an answered
  // call sometimes reached the engine after its timeout, was retried, and its key answered 2xx twice.
  callTimeoutMs: 1_000,
  maxAttempts: 8,
  maxMemberAttempts: 3,
  initialBackoffMs: 1,
  maxBackoffMs: 10,
  maxRetryAfterMs: 1_000,
  breakerThreshold: 1_000,
};
// The mix: 20% 429 (with Retry-After), 5% 5xx, and some calls that hang past the timeout.
const MIX: FaultMix = { throttled: 0.2, serverErrors: 0.05, hangs: 0.02, retryAfterSeconds: '0.02', hangMs: 1_500, seed: 20261201 };

/**
 * The small version of `npm run bench -- soak`: a 5k-member sync, through the engine as the worker
 * wires it (ActivationModule.forRoot with short retry delays), against a vendor failing a quarter
 * of its calls. Every treated member ends up applied exactly once, no held-out member is ever
 * sent, and retries stay within the engine's bounds.
 */
describe('a sync against a vendor answering 429s, 5xx and timeouts', () => {
  let db: TestDatabase;
  let vendor: FaultyVendor;
  let app: INestApplicationContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = await startFaultyVendor(MIX);
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', AK_CONNECTOR_BASE_URLS: `faulty-list=${vendor.url}` });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'audiencekit-soak-test'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        ActivationModule.forRoot({
          connectors: [faultyListConnector({ maxBatchSize: BATCH, maxRequestsPerSecond: 1_000, maxConcurrency: 4 })],
          engine: ENGINE,
        }),
      ],
    })
    class SoakModule {}
    app = await NestFactory.createApplicationContext(SoakModule, { logger: false });
  });

  afterAll(async () => {
    await app?.close();
    await vendor?.stop();
    await db?.drop();
  });

  it('delivers every treated member exactly once, never a held-out one, with bounded retries', async () => {
    const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
    await query(`UPDATE global_holdout SET share = 0.05, salt = 'soak-global' WHERE id = 1`);
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('soak', 'Soak', 'test', 'manual', 1) RETURNING id`,
    );
    const profiles = await query<{ id: string }>(
      `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, $1::int) g RETURNING id, (traits->>'n')::int AS n),
            e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'soak' || n || '@example.com', id FROM p),
            m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $2, id, now(), gen_random_uuid() FROM p)
       SELECT id FROM p`,
      [MEMBERS, segment.id],
    );
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('faulty', 'faulty-list', '{}') RETURNING id`,
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule) VALUES ('soak', $1, $2, 'mirror', 0.1, 'soak-salt', 'manual') RETURNING id`,
      [segment.id, destination.id],
    );
    const global = createHoldoutAssigner('soak-global', 0.05);
    const control = createHoldoutAssigner('soak-salt', 0.1);
    const heldOut = new Set(profiles.map((row) => row.id).filter((id) => global.isControl(id) || control.isControl(id)));
    const treated = profiles.map((row) => row.id).filter((id) => !heldOut.has(id));

    // "Eventually": a member whose batch ran out of attempts is picked up by the next sync.
    const syncs = app.get(SyncService);
    const statuses: string[] = [];
    for (let run = 0; run < MAX_RUNS; run += 1) {
      const requested = await syncs.requestSync(activation.id);
      await syncs.execute(requested.id);
      const view = await syncs.getRun(requested.id);
      statuses.push(view.status);
      if (view.status === 'succeeded') break;
    }
    expect(statuses[statuses.length - 1]).toBe('succeeded');

    const counts = vendor.counts();
    // The mix really happened (seeded, so these are the same on every run).
    expect(counts['429']).toBeGreaterThan(0);
    expect(counts['5xx']).toBeGreaterThan(0);
    expect(counts.timeout).toBeGreaterThan(0);

    // No held-out member ever reached the vendor, in any call, answered or not.
    expect(vendor.calls.flatMap((call) => call.members).filter((member) => heldOut.has(member.profileId))).toEqual([]);
    // Applied (2xx, once per idempotency key): every treated member exactly once.
    const applied = vendor.applied().map((member) => member.profileId);
    expect(applied).toHaveLength(new Set(applied).size);
    expect(applied.sort()).toEqual([...treated].sort());
    expect(
      (await query(`SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1 AND state = 'present'`, [activation.id]))[0]
        .n,
    ).toBe(treated.length);

    // Bounded: no idempotency key tried more than maxAttempts times, no key answered 2xx twice.
    const attemptsByKey = new Map<string, number>();
    for (const call of vendor.calls) attemptsByKey.set(call.idempotencyKey, (attemptsByKey.get(call.idempotencyKey) ?? 0) + 1);
    expect(Math.max(...attemptsByKey.values())).toBeLessThanOrEqual(ENGINE.maxAttempts ?? 0);
    const okByKey = vendor.calls.filter((call) => call.outcome === 'ok').map((call) => call.idempotencyKey);
    expect(okByKey).toHaveLength(new Set(okByKey).size);
    // Every failed call was retried at most within the bound: requests ≤ batches × maxAttempts.
    expect(counts.requests).toBeLessThanOrEqual(attemptsByKey.size * (ENGINE.maxAttempts ?? 0));
    expect(counts.requests - counts.ok).toBe(counts['429'] + counts['5xx'] + counts.timeout);
  }, 60_000);
});
