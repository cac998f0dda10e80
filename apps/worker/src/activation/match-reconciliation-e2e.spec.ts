import { createHash, randomBytes } from 'node:crypto';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ActivationModule, SyncService } from '@audiencekit/activation-engine';
import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { GoogleFake, startGoogleFake } from '@audiencekit/plugin-google-ads/testing';
import { MetaFake, startMetaFake } from '@audiencekit/plugin-meta-ads/testing';
import { ConfigModule, DatabaseModule, loadConfig, QueueModule, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * Issue #22, match reconciliation, through the real engine against the Meta and Google fakes: what
 * each vendor reports back is stored beside what was sent — Meta's `num_received` and
 * `num_invalid_entries` per request (sync_batches) and summed on the run, both vendors' audience
 * size after the run — and the run shows the match rate (audience size over members held). When
 * the vendor's audience shrinks behind our back (here: members taken out of the fake's list, as a
 * vendor dropping matches would), the next run's rate falls beyond the threshold: the run carries a
 * `match_rate_dropped` warning and a notification waits in the outbox.
 */
const KEY_RING = `e2e:${randomBytes(32).toString('base64')}`;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('match reconciliation against the ads fakes', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let syncs: SyncService;
  let meta: MetaFake;
  let google: GoogleFake;
  const invalidEmails = ['recon.meta.m1@example.com', 'recon.meta.m2@example.com'];
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    meta = await startMetaFake({ invalidHashes: invalidEmails.map(sha256) });
    google = await startGoogleFake();
    const config = loadConfig({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AK_SECRETS_KEYS: KEY_RING,
      AK_CONNECTOR_BASE_URLS: `meta-ads=${meta.url},google-ads=${google.url}`,
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'audiencekit-match-e2e'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        ActivationModule.forRoot({ connectors: REGISTERED_CONNECTORS, engine: { initialBackoffMs: 10, maxBackoffMs: 50 } }),
      ],
    })
    class MatchE2eModule {}
    app = await NestFactory.createApplicationContext(MatchE2eModule, { logger: false });
    syncs = app.get(SyncService);
  });

  afterAll(async () => {
    await app?.close();
    await meta?.stop();
    await google?.stop();
    await db?.drop();
  });

  it('Meta: stores num_received / num_invalid_entries per request and the audience size; a drop of the match rate flags the run', async () => {
    const { segmentId, members } = await seed('meta', 30);
    const activationId = await seedActivation('meta-ads', { adAccountId: '1234567890' }, { accessToken: 'fake-meta-token' }, segmentId);

    const first = await syncOnce(activationId);
    expect(first.status).toBe('succeeded');
    // Meta refused two entries (rejected members); received all 30 rows.
    expect(first.counts).toMatchObject({
      added: 28,
      rejected: 2,
      vendorReceived: 30,
      vendorInvalid: 2,
      audienceSize: 28,
      heldAtVendor: 28,
    });
    expect(first.reconciliation).toEqual({
      sent: 28,
      vendorReceived: 30,
      vendorInvalid: 2,
      audienceSize: 28,
      heldAtVendor: 28,
      matchRate: 1,
      matchRateDropped: false,
    });
    const batches = await query(`SELECT seq, vendor_received, vendor_invalid FROM sync_batches WHERE sync_run_id = $1 ORDER BY seq`, [
      first.id,
    ]);
    expect(batches).toEqual([{ seq: 1, vendor_received: 30, vendor_invalid: 2 }]);

    // The vendor drops 10 of the people it had matched; 10 more join the segment. Meta's audience
    // size (approximate_count_*) counts people, not identifiers, and so does the fake: the people go
    // with their keys (taking keys out of `members` alone would not change the count).
    const audience = [...meta.audiences.values()][0];
    for (const person of [...audience.people].slice(0, 10)) {
      audience.people.delete(person);
      for (const key of person) {
        audience.members.delete(key);
        audience.personOf.delete(key);
      }
    }
    expect(audience.people.size).toBe(18);
    await addMembers('meta', segmentId, members.length, 10);
    const second = await syncOnce(activationId);
    expect(second.status).toBe('succeeded');
    // The two refused members are tried again (and refused again) with the 10 new ones.
    // 28 + 10 held, the vendor counts 18 + 10 = 28: 73.7 %, down from 100 %.
    expect(second.reconciliation).toMatchObject({ sent: 10, vendorReceived: 12, vendorInvalid: 2, audienceSize: 28, heldAtVendor: 38 });
    expect(second.reconciliation?.matchRate).toBeCloseTo(28 / 38, 4);
    expect(second.reconciliation?.matchRateDropped).toBe(true);
    expect(second.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'warning', code: 'match_rate_dropped', baseline: 1 })]),
    );
    const notifications = await query(`SELECT kind, payload FROM notifications WHERE subject_id = $1`, [second.id]);
    expect(notifications).toEqual([
      {
        kind: 'sync_run.match_rate_dropped',
        payload: expect.objectContaining({ matchRate: second.reconciliation?.matchRate, baseline: 1, threshold: 0.1 }),
      },
    ]);
    expect(String((notifications[0].payload as { summary: string }).summary)).toMatch(/dropped to 73\.7%/);
    // The first run was not flagged.
    expect(await query(`SELECT 1 FROM notifications WHERE subject_id = $1`, [first.id])).toEqual([]);
  }, 60_000);

  it('Google: the audience size after the run gives the match rate, without per-request counts; a drop flags the run', async () => {
    const { segmentId, members } = await seed('google', 20);
    const activationId = await seedActivation(
      'google-ads',
      { operatingAccount: { accountId: '1234567890' }, productDestinationId: '555000111', acceptCustomerMatchTerms: true },
      { accessToken: 'fake-google-token' },
      segmentId,
    );
    const first = await syncOnce(activationId);
    expect(first.status).toBe('succeeded');
    expect(first.reconciliation).toEqual({
      sent: 20,
      vendorReceived: null,
      vendorInvalid: null,
      audienceSize: 20,
      heldAtVendor: 20,
      matchRate: 1,
      matchRateDropped: false,
    });

    for (const key of [...google.members].slice(0, 8)) google.members.delete(key);
    await addMembers('google', segmentId, members.length, 2);
    const second = await syncOnce(activationId);
    expect(second.reconciliation).toMatchObject({ sent: 2, audienceSize: 14, heldAtVendor: 22, matchRateDropped: true });
    expect(await query(`SELECT kind FROM notifications WHERE subject_id = $1`, [second.id])).toEqual([
      { kind: 'sync_run.match_rate_dropped' },
    ]);
  }, 60_000);

  async function seed(vendor: string, count: number): Promise<{ segmentId: string; members: string[] }> {
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
      [`recon_${vendor}`],
    );
    return { segmentId: segment.id, members: await addMembers(vendor, segment.id, 0, count) };
  }

  async function addMembers(vendor: string, segmentId: string, from: number, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let n = from + 1; n <= from + count; n++) {
      const [profile] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [
        `recon.${vendor}.m${n}@example.com`,
        profile.id,
      ]);
      await query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), gen_random_uuid())`,
        [segmentId, profile.id],
      );
      ids.push(profile.id);
    }
    return ids;
  }

  async function seedActivation(slug: string, settings: Record<string, unknown>, secrets: Record<string, unknown>, segmentId: string) {
    const sealed = new SecretBox(KEY_RING).seal(JSON.stringify(secrets));
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ($1, $1, $2, $3, $4) RETURNING id`,
      [slug, settings, sealed.ciphertext, sealed.keyId],
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ($1, $2, $3, 'mirror', 0, $4, 'manual') RETURNING id`,
      [`recon ${slug}`, segmentId, destination.id, `salt-${slug}`],
    );
    return activation.id as string;
  }

  async function syncOnce(activationId: string) {
    const run = await syncs.requestSync(activationId);
    await syncs.execute(run.id);
    return syncs.getRun(run.id);
  }
});
