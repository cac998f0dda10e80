import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { SyncService } from '@audiencekit/activation-engine';
import { connectorErrorFromHttp, defineConnector, delivered, rejected } from '@audiencekit/connector-sdk';
import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../test/api-test-app';
import { callApi, startActivationsTestApi, TEST_SECRETS_KEYS } from '../activations/__tests__/activations-test-app';
import { basicAuth } from '../tracking/__tests__/tracking-test-kit';

/** A tiny list connector (adds and removes by email) talking to the fake vendor over HTTP. */
const privacyList = defineConnector({
  slug: 'privacy-list',
  displayName: 'Privacy-test list',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100 },
  testConnection: async () => undefined,
  upsert: async (ctx, members) =>
    call(
      `${ctx.baseUrl}/list/add`,
      members.map((member) => member.identifiers.email),
      ctx.signal,
    ).then(() => members.map((member) => delivered(member))),
  remove: async (ctx, members) =>
    call(
      `${ctx.baseUrl}/list/remove`,
      members.map((member) => member.identifiers.email),
      ctx.signal,
    ).then((refused) =>
      members.map((member) => {
        const reason = refused[member.identifiers.email ?? ''];
        return reason ? rejected(member, reason) : delivered(member);
      }),
    ),
});

/** Answers the vendor's refusals: email → its reason (which, as vendors do, quotes the address). */
async function call(url: string, emails: (string | undefined)[], signal: AbortSignal): Promise<Record<string, string>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ emails }),
    signal,
  });
  if (!response.ok) throw connectorErrorFromHttp(response.status, Object.fromEntries(response.headers), `HTTP ${response.status}`);
  return ((await response.json()) as { refused?: Record<string, string> }).refused ?? {};
}

/**
 * A GDPR deletion end to end on a real Postgres: the person's events, traits and identities are
 * erased, every identifier is suppressed, a sync is requested that removes them at the vendor,
 * and a later identify with the same email makes a profile that is never sent.
 */
describe('privacy deletion through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let vendor: FakeVendorServer;
  let admin: string;
  let marketer: string;
  let writeKey: string;
  let activationId: string;
  let firstRunId: string;
  const list = new Set<string>();
  /** Addresses the vendor refuses to remove ("unknown contact <ADDRESS>"). */
  const unknownAtVendor = new Set<string>();
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const track = (path: string, body: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** Every row of every table (pg-boss's included), as text, that contains one of `needles`. */
  const rowsMentioning = async (needles: string[]) => {
    const tables: { schema: string; name: string }[] = await query(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    expect(tables.map((table) => `${table.schema}.${table.name}`)).toEqual(
      expect.arrayContaining(['public.audit_log', 'public.activation_members', 'pgboss.job']),
    );
    const found: { table: string; needle: string }[] = [];
    for (const table of tables) {
      const rows: { row: string }[] = await query(`SELECT t::text AS row FROM "${table.schema}"."${table.name}" t`);
      for (const { row } of rows)
        for (const needle of needles) if (row.toLowerCase().includes(needle.toLowerCase())) found.push({ table: table.name, needle });
    }
    return found.sort((a, b) => `${a.table}${a.needle}`.localeCompare(`${b.table}${b.needle}`));
  };
  const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
  const profileIdOf = async (email: string) =>
    (await query(`SELECT profile_id FROM identities WHERE type = 'email' AND value = $1`, [email]))[0]?.profile_id as string | undefined;
  /** Runs a queued sync in this process, as a worker would. */
  const runSync = async (runId: string) => {
    await api.app.get(SyncService).execute(runId);
    return (await query(`SELECT status, counts FROM sync_runs WHERE id = $1`, [runId]))[0];
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = await startFakeVendor({
      routes: {
        'POST /list/add': (request) => {
          for (const email of (request.body as { emails: string[] }).emails) list.add(email);
          return { status: 200, body: {} };
        },
        'POST /list/remove': (request) => {
          const refused: Record<string, string> = {};
          for (const email of (request.body as { emails: string[] }).emails) {
            if (unknownAtVendor.has(email)) refused[email] = `unknown contact ${email.toUpperCase()}`;
            else list.delete(email);
          }
          return { status: 200, body: { refused } };
        },
      },
    });
    api = await startActivationsTestApi(db.url, {
      connectors: [privacyList],
      env: { AK_CONNECTOR_BASE_URLS: `privacy-list=${vendor.url}` },
    });
    const keys = api.app.get(ApiKeyService);
    admin = (await keys.create('dpo', 'admin')).secret;
    marketer = (await keys.create('crm', 'marketer')).secret;
    writeKey = (await keys.create('site', 'write')).secret;

    for (const [n, person] of [
      ['ann', { phone: '+447911123456' }],
      ['bob', {}],
    ] as const) {
      expect(
        (
          await track('/v1/identify', {
            userId: `u-${n}`,
            anonymousId: `anon-${n}`,
            traits: { email: `${n}@example.com`, plan: 'gold', ...person },
            messageId: `id-${n}`,
          })
        ).status,
      ).toBe(200);
      expect(
        (await track('/v1/track', { userId: `u-${n}`, event: 'Order Completed', properties: { total: 42 }, messageId: `order-${n}` }))
          .status,
      ).toBe(200);
    }
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('gold', 'Gold', 'crm', 'manual', 1) RETURNING id`,
    );
    const [segmentRun] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now()) RETURNING id`,
      [segment.id],
    );
    await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, id, now(), $2 FROM profiles`, [
      segment.id,
      segmentRun.id,
    ]);
    const destination = await callApi(api.baseUrl, admin, 'POST', '/destinations', {
      name: 'list',
      connector: 'privacy-list',
      settings: {},
    });
    expect(destination.status).toBe(201);
    const activation = await callApi(api.baseUrl, marketer, 'POST', '/activations', {
      name: 'gold list',
      segmentId: segment.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0,
    });
    expect(activation.status).toBe(201);
    activationId = activation.body.id;
    const first = await callApi(api.baseUrl, marketer, 'POST', `/activations/${activationId}/sync`, {});
    expect(first.status).toBe(202);
    firstRunId = first.body.id;
    expect(await runSync(first.body.id)).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: 2 }) });
    expect([...list].sort()).toEqual(['ann@example.com', 'bob@example.com']);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await vendor?.stop();
    await db?.drop();
  });

  it('refuses bad requests naming the field, and any role below admin', async () => {
    const badEmail = await callApi(api.baseUrl, admin, 'POST', '/privacy/deletions', { identifierType: 'email', value: 'not-an-email' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.details).toEqual([expect.objectContaining({ path: 'value' })]);
    const badType = await callApi(api.baseUrl, admin, 'POST', '/privacy/deletions', { identifierType: 'ssn', value: '123' });
    expect(badType.status).toBe(400);
    expect(badType.body.details.map((detail: { path: string }) => detail.path)).toEqual(['identifierType']);
    expect(
      (await callApi(api.baseUrl, marketer, 'POST', '/privacy/deletions', { identifierType: 'email', value: 'ann@example.com' })).status,
    ).toBe(403);
    expect(await profileIdOf('ann@example.com')).toBeDefined();
  });

  it('erases the person, suppresses every identifier, and removes them at the vendor', async () => {
    const ann = (await profileIdOf('ann@example.com')) as string;
    const bob = (await profileIdOf('bob@example.com')) as string;
    // An older activation that removed ann long ago still holds what it had delivered.
    const [old] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, status)
      SELECT 'old', segment_id, destination_id, 'mirror', 0, 'old-salt', 'paused' FROM activations WHERE id = $1 RETURNING id`,
      [activationId],
    );
    await query(
      `INSERT INTO activation_members (activation_id, profile_id, state, identifiers) VALUES ($1, $2, 'removed', '{"email": "ann@example.com"}')`,
      [old.id, ann],
    );
    // Vendors echo addresses in their answers: a rejection reason, a failed batch and a run error naming ann.
    await query(
      `INSERT INTO sync_rejections (sync_run_id, profile_id, kind, reason) VALUES ($1, $2, 'rejected', 'mailbox ann@example.com bounced')`,
      [firstRunId, ann],
    );
    await query(
      `INSERT INTO sync_batches (sync_run_id, seq, action, profile_ids, idempotency_key, status, error) VALUES ($1, 99, 'add', ARRAY[$2::uuid, $3::uuid], 'k99', 'failed', 'HTTP 400: +447911123456 is not a mobile number')`,
      [firstRunId, ann, bob],
    );
    await query(
      `UPDATE sync_runs SET errors = coalesce(errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('kind', 'batch_failed', 'reason', 'invalid contact u-ann <ann@example.com>')) WHERE id = $1`,
      [firstRunId],
    );
    // ... in any case (the scan below is case-insensitive, as the erasure must be).
    await query(
      `INSERT INTO sync_batches (sync_run_id, seq, action, profile_ids, idempotency_key, status, error) VALUES ($1, 98, 'add', ARRAY[$2::uuid], 'k98', 'failed', 'unknown contact ANN@EXAMPLE.COM')`,
      [firstRunId, ann],
    );
    // The scan below sees the person's data where it lives (so its empty answer after the erasure means something).
    const before = new Set((await rowsMentioning(['ann@example.com', '+447911123456'])).map((row) => row.table));
    expect([...before]).toEqual(
      expect.arrayContaining(['activation_members', 'events', 'identities', 'profiles', 'sync_batches', 'sync_rejections', 'sync_runs']),
    );
    const touchesOfAnn = async () => (await query(`SELECT count(*)::int AS n FROM realtime_touches WHERE profile_id = $1`, [ann]))[0].n;
    const handedOverBefore = await touchesOfAnn();
    const response = await callApi(api.baseUrl, admin, 'POST', '/privacy/deletions', {
      identifierType: 'email',
      value: ' Ann@Example.com ',
    });
    expect(response.status).toBe(202);
    // The erasure hands ann to real-time evaluation in its own transaction: she leaves every real-time segment.
    expect(await touchesOfAnn()).toBe(handedOverBefore + 1);
    expect(response.body).toMatchObject({
      identifierType: 'email',
      valueHmac: { keyId: 'test1', hmacSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      profileIds: [ann],
      deleted: { events: 2, identities: 4 },
      suppressions: 5, // email, phone, user_id, anonymous_id, profile_id
      removals: [{ activationId, syncRunId: expect.any(String) }],
    });

    // Nothing about ann is left but an empty tombstone; bob is untouched.
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [ann])).toEqual([{ n: 0 }]);
    expect(await query(`SELECT count(*)::int AS n FROM identities WHERE profile_id = $1`, [ann])).toEqual([{ n: 0 }]);
    const [tombstone] = await query(`SELECT traits, trait_timestamps, deleted_at, first_seen_at FROM profiles WHERE id = $1`, [ann]);
    expect(tombstone).toMatchObject({ traits: {}, trait_timestamps: {}, first_seen_at: null, deleted_at: expect.any(Date) });
    expect(await query(`SELECT count(*)::int AS n FROM events WHERE profile_id = $1`, [bob])).toEqual([{ n: 2 }]);
    // Delivered identifiers stay only where the vendor still holds ann (the remove must name her).
    expect(await query(`SELECT activation_id, identifiers FROM activation_members WHERE profile_id = $1 ORDER BY state`, [ann])).toEqual([
      { activation_id: activationId, identifiers: { email: 'ann@example.com' } },
      { activation_id: old.id, identifiers: null },
    ]);
    const suppressions = await query(`SELECT identifier_type, identifier_value, channel FROM suppressions ORDER BY identifier_type`);
    expect(suppressions).toEqual([
      { identifier_type: 'anonymous_id', identifier_value: 'anon-ann', channel: 'all' },
      { identifier_type: 'email', identifier_value: 'ann@example.com', channel: 'all' },
      { identifier_type: 'phone', identifier_value: '+447911123456', channel: 'all' },
      { identifier_type: 'profile_id', identifier_value: ann, channel: 'all' },
      { identifier_type: 'user_id', identifier_value: 'u-ann', channel: 'all' },
    ]);
    // The audit trail keeps a keyed hash (HMAC under a key derived from the secrets key ring), never
    // the address nor its plain sha256 (which anyone can recompute from a guessed address).
    const audit = await query(`SELECT action, details::text AS details FROM audit_log WHERE action LIKE '%privacy%' ORDER BY id`);
    expect(audit.map((row) => row.action)).toEqual(['privacy.deletion', 'POST /privacy/deletions']);
    expect(
      audit.filter((row) => row.details.toLowerCase().includes('ann@example.com') || row.details.includes(sha256('ann@example.com'))),
    ).toEqual([]);
    const auditKey = Buffer.from(
      hkdfSync('sha256', Buffer.from(TEST_SECRETS_KEYS.split(':')[1], 'base64'), Buffer.alloc(0), 'audiencekit privacy audit v1', 32),
    );
    expect(response.body.valueHmac.hmacSha256).toBe(createHmac('sha256', auditKey).update('ann@example.com', 'utf8').digest('hex'));
    const record = await callApi(api.baseUrl, admin, 'GET', `/privacy/deletions/${response.body.id}`);
    expect(record.body).toEqual(response.body);

    // The requested sync removes ann from the vendor's list (and only ann).
    const removal = await runSync(response.body.removals[0].syncRunId);
    expect(removal).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ removed: 1 }) });
    expect([...list]).toEqual(['bob@example.com']);
    expect(
      await query(`SELECT state, identifiers FROM activation_members WHERE profile_id = $1 AND activation_id = $2`, [ann, activationId]),
    ).toEqual([{ state: 'removed', identifiers: null }]);

    // Vendor texts that named her are replaced whole (the entries keep their kind), never cut into.
    expect((await query(`SELECT errors FROM sync_runs WHERE id = $1`, [firstRunId]))[0].errors).toEqual(
      expect.arrayContaining([{ kind: 'batch_failed', message: 'erased: it named a person deleted on request' }]),
    );
    expect(await query(`SELECT error FROM sync_batches WHERE sync_run_id = $1 AND seq IN (98, 99) ORDER BY seq`, [firstRunId])).toEqual([
      { error: 'erased: it named a person deleted on request' },
      { error: 'erased: it named a person deleted on request' },
    ]);
    expect(await query(`SELECT count(*)::int AS n FROM sync_rejections WHERE profile_id = $1`, [ann])).toEqual([{ n: 0 }]);

    // After the erasure and the removal run, nothing in the database names ann but her suppression
    // entries: every row of every table is scanned for each identifier and the email's sha256.
    const identifiers = ['ann@example.com', '+447911123456', 'u-ann', 'anon-ann'];
    expect(await rowsMentioning([...identifiers, sha256('ann@example.com')])).toEqual(
      ['anon-ann', 'ann@example.com', '+447911123456', 'u-ann']
        .map((needle) => ({ table: 'suppressions', needle }))
        .sort((a, b) => a.needle.localeCompare(b.needle)),
    );
  });

  it('never makes a contactable profile again from a later identify with the same email', async () => {
    const deleted = (await query(`SELECT id FROM profiles WHERE deleted_at IS NOT NULL`))[0].id;
    expect(
      (await track('/v1/identify', { userId: 'u-ann-2', traits: { email: 'ANN@example.com', plan: 'gold' }, messageId: 'id-ann-again' }))
        .status,
    ).toBe(200);
    const fresh = (await profileIdOf('ann@example.com')) as string;
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(deleted);
    // The tombstone stays empty: the new data went to the new profile.
    expect(await query(`SELECT traits FROM profiles WHERE id = $1`, [deleted])).toEqual([{ traits: {} }]);

    // Even once in the segment, the new profile is suppressed by its email and never sent.
    const [{ segment_id, run_id }] = await query(`SELECT segment_id, run_id FROM segment_memberships LIMIT 1`);
    await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), $3)`, [
      segment_id,
      fresh,
      run_id,
    ]);
    const again = await callApi(api.baseUrl, marketer, 'POST', `/activations/${activationId}/sync`, {});
    const run = await runSync(again.body.id);
    expect(run.status).toBe('succeeded');
    // Two filtered out as suppressed: the new profile (by its email) and the tombstone (deleted), still a member until the next refresh.
    expect(run.counts).toMatchObject({ suppressed: 2 });
    expect(run.counts.added ?? 0).toBe(0);
    expect([...list]).toEqual(['bob@example.com']);
  });

  it('keeps nothing of a person whose remove the vendor rejects, not even the rejection reason quoting the address', async () => {
    expect(
      (await track('/v1/identify', { userId: 'u-cyd', traits: { email: 'cyd@example.com', plan: 'gold' }, messageId: 'id-cyd' })).status,
    ).toBe(200);
    const cyd = (await profileIdOf('cyd@example.com')) as string;
    const [{ segment_id, run_id }] = await query(`SELECT segment_id, run_id FROM segment_memberships LIMIT 1`);
    await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), $3)`, [
      segment_id,
      cyd,
      run_id,
    ]);
    const add = await callApi(api.baseUrl, marketer, 'POST', `/activations/${activationId}/sync`, {});
    expect(await runSync(add.body.id)).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: 1 }) });
    expect(list.has('cyd@example.com')).toBe(true);

    // The vendor no longer knows cyd and rejects the remove with a reason quoting the address (upper-cased).
    unknownAtVendor.add('cyd@example.com');
    const response = await callApi(api.baseUrl, admin, 'POST', '/privacy/deletions', { identifierType: 'email', value: 'cyd@example.com' });
    expect(response.status).toBe(202);
    expect(response.body.removals).toEqual([{ activationId, syncRunId: expect.any(String) }]);
    const removal = await runSync(response.body.removals[0].syncRunId);
    expect(removal.counts).toMatchObject({ rejected: 1 });
    expect((await query(`SELECT reason FROM sync_rejections WHERE profile_id = $1`, [cyd])).map((row) => row.reason)).toEqual([
      'unknown contact [redacted]',
    ]);
    // The vendor refused the remove; the person is gone all the same: rejected, no identifiers.
    expect(
      await query(`SELECT state, identifiers FROM activation_members WHERE profile_id = $1 AND activation_id = $2`, [cyd, activationId]),
    ).toEqual([{ state: 'rejected', identifiers: null }]);
    expect(await rowsMentioning(['cyd@example.com', 'u-cyd', sha256('cyd@example.com')])).toEqual([
      { table: 'suppressions', needle: 'cyd@example.com' },
      { table: 'suppressions', needle: 'u-cyd' },
    ]);
  });

  it('suppresses an identifier it holds nothing for (erasure requested before any data arrived)', async () => {
    const response = await callApi(api.baseUrl, admin, 'POST', '/privacy/deletions', { identifierType: 'phone', value: '+14155550123' });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ profileIds: [], deleted: { events: 0, identities: 0 }, suppressions: 1, removals: [] });
    expect(await query(`SELECT channel FROM suppressions WHERE identifier_type = 'phone' AND identifier_value = '+14155550123'`)).toEqual([
      { channel: 'all' },
    ]);
  });
});
