import { createHash, randomBytes } from 'node:crypto';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ActivationModule, SyncService, VendorRequestChecks } from '@audiencekit/activation-engine';
import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { googleStatusPolling } from '@audiencekit/plugin-google-ads';
import { GoogleFake, startGoogleFake } from '@audiencekit/plugin-google-ads/testing';
import { ConfigException, ConfigModule, DatabaseModule, loadConfig, QueueModule, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * Issue #22: "Poll the request status so members Google drops later (consent, format) are recorded
 * as rejections, not counted as delivered." Through the real engine, a real Postgres and the Google
 * fake keeping each ingest PROCESSING for 30 minutes of its clock (Google's Diagnostics page: first
 * check 30 minutes after the ingest): the run counts the members delivered and one request pending;
 * the worker's pass (VendorRequestChecks.runPass, clock as a parameter) does nothing before the
 * first check is due, then turns the members Google dropped into rejections of the run, with
 * Google's reason, and they are no longer held (the next run offers them again). A request still
 * processing is asked again with doubling waits, and given up after AK_VENDOR_REQUEST_MAX_CHECKS
 * (3 here) with a warning on the run.
 */
const KEY_RING = `e2e:${randomBytes(32).toString('base64')}`;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const MINUTE = 60_000;

describe('pending vendor requests: members Google drops after the run become rejections', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let syncs: SyncService;
  let checks: VendorRequestChecks;
  let google: GoogleFake;
  let googleAhead = 0;
  const delays = googleStatusPolling.delaysMs;
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const later = (minutes: number) => new Date(Date.now() + minutes * MINUTE);

  beforeAll(async () => {
    // One quick first look inside upsert (the fake will still be processing).
    googleStatusPolling.delaysMs = [0];
    db = await createTestDatabase();
    google = await startGoogleFake({
      processingDelayMs: 30 * MINUTE,
      now: () => Date.now() + googleAhead,
    });
    const config = loadConfig({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AK_SECRETS_KEYS: KEY_RING,
      AK_CONNECTOR_BASE_URLS: `google-ads=${google.url}`,
      AK_VENDOR_REQUEST_MAX_CHECKS: '3',
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'audiencekit-vendor-requests-e2e'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        ActivationModule.forRoot({ connectors: REGISTERED_CONNECTORS, engine: { initialBackoffMs: 10, maxBackoffMs: 50 } }),
      ],
    })
    class VendorRequestsE2eModule {}
    app = await NestFactory.createApplicationContext(VendorRequestsE2eModule, { logger: false });
    syncs = app.get(SyncService);
    checks = app.get(VendorRequestChecks);
  });

  afterAll(async () => {
    googleStatusPolling.delaysMs = delays;
    await app?.close();
    await google?.stop();
    await db?.drop();
  });

  beforeEach(() => {
    googleAhead = 0;
  });

  it('Google drops every member of a request (no consent): before the due time nothing; after it, rejections with the reason, counts changed, members no longer held', async () => {
    const { segmentId, members } = await seed('noconsent', 4, 'PROCESSING_ERROR_REASON_NO_CONSENT');
    const activationId = await seedActivation('noconsent', segmentId);
    const run = await syncOnce(activationId);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ added: 4, pendingVendorRequests: 1 });
    expect(run.pendingVendorConfirmation).toEqual({ requests: 1, summary: 'pending vendor confirmation: 1 request' });
    expect(await heldStates(activationId)).toEqual(members.map(() => 'present'));

    // 29 minutes on: not due yet, nothing asked.
    googleAhead = 29 * MINUTE;
    const statusPolls = google.server.requestsTo('GET /v1/requestStatus:retrieve').length;
    expect(await checks.runPass(later(29))).toEqual({ checked: 0, processed: 0, rejected: 0, rescheduled: 0, givenUp: 0 });
    expect(google.server.requestsTo('GET /v1/requestStatus:retrieve')).toHaveLength(statusPolls);

    // 31 minutes on: Google has processed the request (FAILED, every record without consent).
    googleAhead = 31 * MINUTE;
    expect(await checks.runPass(later(31))).toEqual({ checked: 1, processed: 1, rejected: 4, rescheduled: 0, givenUp: 0 });
    const after = await syncs.getRun(run.id);
    expect(after.counts).toMatchObject({ added: 0, rejected: 4, droppedByVendor: 4, pendingVendorRequests: 0 });
    expect(after.pendingVendorConfirmation).toBeNull();
    const rejections = await query(
      `SELECT profile_id, kind, code, reason FROM sync_rejections WHERE sync_run_id = $1 ORDER BY profile_id`,
      [run.id],
    );
    expect(rejections.map((row) => row.profile_id)).toEqual([...members].sort());
    for (const row of rejections) {
      expect(row).toMatchObject({ kind: 'rejected', code: 'PROCESSING_ERROR_REASON_NO_CONSENT' });
      expect(row.reason).toMatch(/PROCESSING_ERROR_REASON_NO_CONSENT ×4/);
    }
    expect(await heldStates(activationId)).toEqual(members.map(() => 'rejected'));
    // Settled: a later pass asks nothing.
    expect((await checks.runPass(later(120))).checked).toBe(0);

    // The next run offers them again, as it does after any rejection (Google drops them again: same first look).
    googleAhead = 0;
    const next = await syncOnce(activationId);
    expect(next.counts).toMatchObject({ added: 4, pendingVendorRequests: 1 });
    googleAhead = 31 * MINUTE;
    expect(await checks.runPass(later(31))).toMatchObject({ processed: 1, rejected: 4 });
  }, 60_000);

  it('Google drops some members of a request (PARTIAL_SUCCESS names no one): a warning on the run with the count; the members stay held', async () => {
    const { segmentId } = await seed('partial', 5, 'PROCESSING_ERROR_REASON_INVALID_FORMAT', 2);
    const activationId = await seedActivation('partial', segmentId);
    const run = await syncOnce(activationId);
    googleAhead = 31 * MINUTE;
    expect(await checks.runPass(later(31))).toMatchObject({ processed: 1, rejected: 0 });
    const after = await syncs.getRun(run.id);
    expect(after.counts).toMatchObject({ added: 5, pendingVendorRequests: 0 });
    expect(after.errors).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'vendor_dropped_unattributed', members: 5, dropped: 2 }),
    ]);
    expect(await heldStates(activationId)).toEqual(['present', 'present', 'present', 'present', 'present']);
  }, 60_000);

  it('still processing: asked again with doubling waits (30, then 60 minutes); given up after 3 checks with a warning, members kept', async () => {
    const { segmentId } = await seed('slow', 2, 'PROCESSING_ERROR_REASON_NO_CONSENT');
    const activationId = await seedActivation('slow', segmentId);
    const run = await syncOnce(activationId);
    // The fake never gets there: Google still processing at every check.
    googleAhead = -365 * 24 * 60 * MINUTE;
    const row = async () =>
      (await query(`SELECT state, attempts, next_check_at FROM vendor_pending_requests WHERE sync_run_id = $1`, [run.id]))[0];

    const first = later(31);
    expect(await checks.runPass(first)).toMatchObject({ checked: 1, rescheduled: 1 });
    expect(await row()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(new Date((await row()).next_check_at).getTime()).toBe(first.getTime() + 30 * MINUTE);
    expect((await checks.runPass(later(31 + 29))).checked).toBe(0);

    const second = later(31 + 31);
    expect(await checks.runPass(second)).toMatchObject({ checked: 1, rescheduled: 1 });
    expect(await row()).toMatchObject({ attempts: 2 });
    expect(new Date((await row()).next_check_at).getTime()).toBe(second.getTime() + 60 * MINUTE);

    expect(await checks.runPass(later(31 + 31 + 61))).toMatchObject({ checked: 1, givenUp: 1 });
    expect(await row()).toMatchObject({ state: 'given_up', attempts: 3 });
    const after = await syncs.getRun(run.id);
    expect(after.counts).toMatchObject({ added: 2, pendingVendorRequests: 0, vendorRequestsUnconfirmed: 1 });
    expect(after.pendingVendorConfirmation).toBeNull();
    expect(after.errors).toEqual([expect.objectContaining({ kind: 'warning', code: 'vendor_request_unconfirmed', checks: 3, members: 2 })]);
    expect(await heldStates(activationId)).toEqual(['present', 'present']);
    expect((await checks.runPass(later(24 * 60))).checked).toBe(0);
  }, 60_000);

  it('the settings are validated at start-up: a first check under a minute or a check count that is no number is refused, naming the variable', () => {
    const base = { DATABASE_URL: db.url };
    expect(() => loadConfig({ ...base, AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES: '0' })).toThrow(ConfigException);
    expect(() => loadConfig({ ...base, AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES: '0' })).toThrow(/AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES/);
    expect(() => loadConfig({ ...base, AK_VENDOR_REQUEST_MAX_CHECKS: 'many' })).toThrow(/AK_VENDOR_REQUEST_MAX_CHECKS/);
    expect(loadConfig(base)).toMatchObject({ AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES: 30, AK_VENDOR_REQUEST_MAX_CHECKS: 8 });
  });

  /** `dropCount` members (all by default) are dropped by Google while processing, with `reason`. */
  async function seed(key: string, count: number, reason: string, dropCount = count): Promise<{ segmentId: string; members: string[] }> {
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
      [`pending_${key}`],
    );
    const ids: string[] = [];
    for (let n = 1; n <= count; n++) {
      const email = `pending.${key}.m${n}@example.com`;
      if (n <= dropCount) google.processingFailures.set(sha256(email), reason);
      const [profile] = await query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $2)`, [email, profile.id]);
      await query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), gen_random_uuid())`,
        [segment.id, profile.id],
      );
      ids.push(profile.id);
    }
    return { segmentId: segment.id, members: ids };
  }

  async function seedActivation(key: string, segmentId: string): Promise<string> {
    const sealed = new SecretBox(KEY_RING).seal(JSON.stringify({ accessToken: 'fake-google-token' }));
    const settings = { operatingAccount: { accountId: '1234567890' }, productDestinationId: '555000111', acceptCustomerMatchTerms: true };
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ($1, 'google-ads', $2, $3, $4) RETURNING id`,
      [`google ${key}`, settings, sealed.ciphertext, sealed.keyId],
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ($1, $2, $3, 'mirror', 0, $4, 'manual') RETURNING id`,
      [`pending ${key}`, segmentId, destination.id, `salt-${key}`],
    );
    return activation.id as string;
  }

  async function heldStates(activationId: string): Promise<string[]> {
    return (await query(`SELECT state FROM activation_members WHERE activation_id = $1 ORDER BY profile_id`, [activationId])).map(
      (row) => row.state,
    );
  }

  async function syncOnce(activationId: string) {
    const run = await syncs.requestSync(activationId);
    await syncs.execute(run.id);
    return syncs.getRun(run.id);
  }
});
