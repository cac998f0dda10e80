import { z } from 'zod';
import { SyncService } from '@audiencekit/activation-engine';
import { defineConnector, delivered } from '@audiencekit/connector-sdk';
import { ConsentService } from '@audiencekit/privacy';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../activations/__tests__/activations-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

/** The vendor's list, kept in memory by the connector itself (no HTTP needed for what is tested here). */
const vendorList = new Set<string>();
const consentList = defineConnector({
  slug: 'consent-list',
  displayName: 'Consent-test list',
  channel: 'email',
  deliveryModel: 'list',
  settings: z.object({}),
  secrets: z.object({}),
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: 100 },
  testConnection: async () => undefined,
  upsert: async (_ctx, members) =>
    members.map((member) => {
      vendorList.add(member.identifiers.email ?? '');
      return delivered(member);
    }),
  remove: async (_ctx, members) =>
    members.map((member) => {
      vendorList.delete(member.identifiers.email ?? '');
      return delivered(member);
    }),
});

/**
 * Suppressions and consent categories through the API on a real Postgres (issue #19): roles,
 * 4xx naming the field, normalisation like ingestion, CSV import with line numbers and the
 * streamed export, the audit log, and removals queued and delivered at the vendor.
 */
describe('suppressions and consent through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  let marketer: string;
  let viewer: string;
  let writeKey: string;
  let destinationId: string;
  let activationId: string;
  const profile: Record<string, string> = {};
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const as = (key: string, method: string, path: string, body?: unknown) => callApi(api.baseUrl, key, method, path, body);
  const identify = async (userId: string, traits: Record<string, unknown>) => {
    const response = await fetch(`${api.baseUrl}/v1/identify`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify({ userId, traits, messageId: `${userId}-${JSON.stringify(traits)}` }),
    });
    expect(response.status).toBe(200);
  };
  const runSync = async (runId: string) => {
    await api.app.get(SyncService).execute(runId);
    return (await query(`SELECT status, counts FROM sync_runs WHERE id = $1`, [runId]))[0];
  };
  const importCsv = async (key: string, csv: string, contentType = 'text/csv', search = '') => {
    const response = await fetch(`${api.baseUrl}/suppressions/import${search}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
      body: csv,
    });
    return { status: response.status, body: await response.json() };
  };
  const audit = async (action: string) => query(`SELECT object_id, details FROM audit_log WHERE action = $1 ORDER BY id`, [action]);

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url, { connectors: [consentList] });
    const keys = api.app.get(ApiKeyService);
    admin = (await keys.create('ops', 'admin')).secret;
    marketer = (await keys.create('crm', 'marketer')).secret;
    viewer = (await keys.create('analyst', 'viewer')).secret;
    writeKey = await createWriteKey(api, 'server');
    for (const name of ['ann', 'bob', 'cat']) {
      await identify(`u-${name}`, { email: `${name}@example.com` });
      profile[name] = (await query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [`u-${name}`]))[0].profile_id;
    }
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('consent-seg', 'Consent', 'test', 'manual', 1) RETURNING id`,
    );
    await query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
      [segment.id, Object.values(profile)],
    );
    [{ id: destinationId }] = await query(`INSERT INTO destinations (name, connector) VALUES ('list', 'consent-list') RETURNING id`);
    [{ id: activationId }] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('consent activation', $1, $2, 'mirror', 0, 'consent-salt', 'manual') RETURNING id`,
      [segment.id, destinationId],
    );
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('consent categories: admin defines them; bad keys are 400 naming the key; other roles are refused', async () => {
    const created = await as(admin, 'PUT', '/consent/categories/email_marketing', { label: 'Email marketing', description: 'newsletters' });
    expect(created).toMatchObject({
      status: 200,
      body: { key: 'email_marketing', label: 'Email marketing', created: true, destinationIds: [] },
    });
    expect((await as(admin, 'PUT', '/consent/categories/email_marketing', { label: 'E-mail marketing' })).body).toMatchObject({
      created: false,
      label: 'E-mail marketing',
    });
    expect((await as(marketer, 'PUT', '/consent/categories/sms_marketing', { label: 'SMS' })).status).toBe(403);
    const badKey = await as(admin, 'PUT', '/consent/categories/Email-Marketing', { label: 'x' });
    expect(badKey).toMatchObject({ status: 400, body: { code: 'invalid_request', details: [{ path: 'params.key' }] } });
    const channel = await as(admin, 'PUT', '/consent/categories/email', { label: 'x' });
    expect(channel.status).toBe(400);
    expect(channel.body.details[0].message).toMatch(/channel name/);
    expect(await as(admin, 'PUT', '/consent/categories/sms_marketing', { label: '' })).toMatchObject({
      status: 400,
      body: { details: [{ path: 'label' }] },
    });
    expect((await as(viewer, 'GET', '/consent/categories')).body.map((c: { key: string }) => c.key)).toEqual(['email_marketing']);
  });

  it('a destination requires categories: unknown ones are 400 naming the index, an unknown destination 404', async () => {
    const unknown = await as(admin, 'PUT', `/destinations/${destinationId}/consent-categories`, {
      categories: ['email_marketing', 'nope_x'],
    });
    expect(unknown).toMatchObject({ status: 400, body: { code: 'invalid_consent_category', details: [{ path: 'categories[1]' }] } });
    expect(
      (await as(admin, 'PUT', `/destinations/00000000-0000-4000-8000-000000000000/consent-categories`, { categories: [] })).status,
    ).toBe(404);
    expect((await as(marketer, 'PUT', `/destinations/${destinationId}/consent-categories`, { categories: [] })).status).toBe(403);
    const set = await as(admin, 'PUT', `/destinations/${destinationId}/consent-categories`, { categories: ['email_marketing'] });
    expect(set).toMatchObject({ status: 200, body: { categories: ['email_marketing'] } });
    expect((await as(viewer, 'GET', `/destinations/${destinationId}/consent-categories`)).body.categories).toEqual(['email_marketing']);
    expect(await audit('destination.consent_categories')).toEqual([
      { object_id: destinationId, details: { before: [], after: ['email_marketing'] } },
    ]);
  });

  it('consent from identify traits and the API decides eligibility; a withdrawal queues the removal at the vendor', async () => {
    await identify('u-ann', { consent: { email_marketing: true } });
    const granted = await as(marketer, 'PUT', `/profiles/${profile['bob']}/consent`, { consent: { email_marketing: true } });
    expect(granted).toMatchObject({ status: 200, body: { categories: [{ key: 'email_marketing', granted: true }], removals: [] } });
    const first = await as(marketer, 'POST', `/activations/${activationId}/sync`, {});
    expect(first.status).toBeLessThan(300);
    await runSync(first.body.id);
    // cat never gave consent: not sent.
    expect([...vendorList].sort()).toEqual(['ann@example.com', 'bob@example.com']);

    const withdrawn = await as(marketer, 'PUT', `/profiles/${profile['bob']}/consent`, { consent: { email_marketing: false } });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.categories[0]).toMatchObject({ granted: false });
    expect(withdrawn.body.removals).toEqual([{ activationId, syncRunId: expect.any(String) }]);
    expect(await runSync(withdrawn.body.removals[0].syncRunId)).toMatchObject({ status: 'succeeded', counts: { removed: 1 } });
    expect([...vendorList]).toEqual(['ann@example.com']);
    const [entry] = await audit('profile.consent');
    expect(entry).toBeDefined();
    expect((await audit('profile.consent')).at(-1)?.details).toMatchObject({ withdrawn: ['email_marketing'] });
  });

  it('a withdrawal by identify (server source) is recorded in its transaction and drained into a removal sync', async () => {
    const [{ id: segmentId }] = await query(`SELECT segment_id AS id FROM activations WHERE id = $1`, [activationId]);
    await identify('u-fay', { email: 'fay@example.com', consent: { email_marketing: true } });
    const [{ profile_id: fay }] = await query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = 'u-fay'`);
    await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), gen_random_uuid())`, [
      segmentId,
      fay,
    ]);
    const added = await as(marketer, 'POST', `/activations/${activationId}/sync`, {});
    await runSync(added.body.id);
    expect(vendorList.has('fay@example.com')).toBe(true);
    // A grant or an unrelated trait records nothing.
    await identify('u-fay', { consent: { email_marketing: true }, plan: 'gold' });
    expect(await query(`SELECT count(*)::int AS n FROM consent_withdrawals`)).toEqual([{ n: 0 }]);

    await identify('u-fay', { consent: { email_marketing: false } });
    expect(await query(`SELECT profile_id, keys FROM consent_withdrawals`)).toEqual([{ profile_id: fay, keys: ['email_marketing'] }]);
    const drained = await api.app.get(ConsentService).drainWithdrawals();
    expect(drained).toEqual({ withdrawals: 1, removals: [{ activationId, syncRunId: expect.any(String) }] });
    expect(await query(`SELECT count(*)::int AS n FROM consent_withdrawals`)).toEqual([{ n: 0 }]);
    expect(await runSync(drained.removals[0].syncRunId as string)).toMatchObject({ status: 'succeeded', counts: { removed: 1 } });
    expect([...vendorList]).toEqual(['ann@example.com']);
    // The same withdrawal again is no change: nothing recorded, nothing queued.
    await identify('u-fay', { consent: { email_marketing: false }, plan: 'silver' });
    expect(await api.app.get(ConsentService).drainWithdrawals()).toEqual({ withdrawals: 0, removals: [] });
  });

  it('profile consent: unknown categories 400 naming consent.<key>, an unknown profile 404, viewers refused', async () => {
    expect(await as(marketer, 'PUT', `/profiles/${profile['cat']}/consent`, { consent: { ads_thing: true } })).toMatchObject({
      status: 400,
      body: { code: 'invalid_consent_category', details: [{ path: 'consent.ads_thing' }] },
    });
    expect(await as(marketer, 'PUT', `/profiles/${profile['cat']}/consent`, { consent: { email_marketing: 'yes' } })).toMatchObject({
      status: 400,
      body: { details: [{ path: 'consent.email_marketing' }] },
    });
    expect(
      (await as(marketer, 'PUT', `/profiles/00000000-0000-4000-8000-000000000000/consent`, { consent: { email_marketing: true } })).status,
    ).toBe(404);
    expect((await as(marketer, 'PUT', `/profiles/not-a-uuid/consent`, { consent: { email_marketing: true } })).status).toBe(400);
    expect((await as(viewer, 'GET', `/profiles/${profile['cat']}/consent`)).status).toBe(403);
    expect((await as(marketer, 'GET', `/profiles/${profile['cat']}/consent`)).body).toMatchObject({
      profileId: profile['cat'],
      categories: [{ key: 'email_marketing', granted: null }],
    });
  });

  it('adds a suppression normalised like ingestion, idempotently, and queues the removal; bad input names the field', async () => {
    const added = await as(marketer, 'POST', '/suppressions', {
      identifierType: 'email',
      value: ' Ann@Example.COM ',
      channel: 'email',
      reason: 'asked by phone',
    });
    expect(added).toMatchObject({
      status: 201,
      body: {
        created: true,
        suppression: { identifierType: 'email', value: 'ann@example.com', channel: 'email', reason: 'asked by phone' },
      },
    });
    expect(added.body.removals).toEqual([{ activationId, syncRunId: expect.any(String) }]);
    expect(await runSync(added.body.removals[0].syncRunId)).toMatchObject({ counts: { removed: 1 } });
    expect([...vendorList]).toEqual([]);
    const again = await as(marketer, 'POST', '/suppressions', {
      identifierType: 'email',
      value: 'ann@example.com',
      channel: 'email',
      reason: 'again',
    });
    expect(again.body).toMatchObject({ created: false, suppression: { reason: 'asked by phone' }, removals: [] });
    for (const [body, path] of [
      [{ identifierType: 'email', value: 'not-an-email', reason: 'x' }, 'value'],
      [{ identifierType: 'phone', value: '07911', reason: 'x' }, 'value'],
      [{ identifierType: 'email', value: 'a@b.co', channel: 'fax', reason: 'x' }, 'channel'],
      [{ identifierType: 'email', value: 'a@b.co', reason: ' ' }, 'reason'],
      [{ identifierType: 'cookie', value: 'a', reason: 'x' }, 'identifierType'],
    ] as const) {
      expect(await as(marketer, 'POST', '/suppressions', body)).toMatchObject({ status: 400, body: { details: [{ path }] } });
    }
    expect((await as(viewer, 'POST', '/suppressions', { identifierType: 'email', value: 'a@b.co', reason: 'x' })).status).toBe(403);
    expect(await audit('suppression.added')).toEqual([
      {
        object_id: added.body.suppression.id,
        details: {
          changeId: expect.any(String),
          identifierType: 'email',
          value: 'ann@example.com',
          channel: 'email',
          reason: 'asked by phone',
        },
      },
    ]);
  });

  it('imports a CSV stream: valid lines added, invalid ones reported by line number, duplicates counted', async () => {
    const csv = [
      'identifier_type,identifier_value,channel,reason',
      'email,Dan@Example.com,all,"bounced, hard"',
      'email,not-an-email,all,x',
      'phone,+44 7911 123456,sms,STOP',
      '',
      'fax,123,all,x',
      'email,ann@example.com,email,dup',
      'user_id,u-eve,,',
      'email,eve@example.com,pigeon,x',
    ].join('\n');
    const report = await importCsv(marketer, csv, 'text/csv', '?reason=spring%20cleanup');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      lines: 7,
      added: 3,
      alreadySuppressed: 1,
      invalidCount: 3,
      invalid: [
        { line: 3, reason: 'identifier_value must be an email address' },
        { line: 6, reason: expect.stringMatching(/^identifier_type must be one of/) },
        { line: 9, reason: expect.stringMatching(/^channel must be one of/) },
      ],
    });
    const stored = await query(`SELECT identifier_type, identifier_value, channel, reason FROM suppressions ORDER BY id`);
    expect(stored).toEqual([
      { identifier_type: 'email', identifier_value: 'ann@example.com', channel: 'email', reason: 'asked by phone' },
      { identifier_type: 'email', identifier_value: 'dan@example.com', channel: 'all', reason: 'bounced, hard' },
      { identifier_type: 'phone', identifier_value: '+447911123456', channel: 'sms', reason: 'STOP' },
      { identifier_type: 'user_id', identifier_value: 'u-eve', channel: 'all', reason: 'spring cleanup' },
    ]);
    expect((await audit('suppression.imported'))[0].details).toMatchObject({ via: 'api', lines: 7, added: 3, invalid: 3 });
  });

  it('refuses an unreadable import whole (400 naming the line) and a body that is not CSV (415)', async () => {
    const before = (await query(`SELECT count(*)::int AS n FROM suppressions`))[0].n;
    const noHeader = await importCsv(marketer, 'email,x@example.com,all,r\n');
    expect(noHeader).toMatchObject({ status: 400, body: { code: 'invalid_csv', details: [{ path: 'line 1' }] } });
    const broken = await importCsv(marketer, 'identifier_type,identifier_value\nemail,ok@example.com\nemail,"unterminated\n');
    expect(broken).toMatchObject({ status: 400, body: { code: 'invalid_csv' } });
    expect((await query(`SELECT count(*)::int AS n FROM suppressions`))[0].n).toBe(before);
    expect((await importCsv(marketer, '{"a":1}', 'application/json')).status).toBe(415);
    expect((await importCsv(viewer, 'identifier_type,identifier_value\n')).status).toBe(403);
  });

  it('lists with filters and keyset pages; bad filters are 400 naming the query field', async () => {
    const all = await as(marketer, 'GET', '/suppressions');
    expect(all.body).toMatchObject({ total: 4, nextCursor: null });
    expect(all.body.items.map((item: { value: string }) => item.value)).toEqual([
      'u-eve',
      '+447911123456',
      'dan@example.com',
      'ann@example.com',
    ]);
    expect((await as(marketer, 'GET', '/suppressions?channel=sms')).body.items.map((i: { value: string }) => i.value)).toEqual([
      '+447911123456',
    ]);
    expect((await as(marketer, 'GET', '/suppressions?reason=BOUNCED')).body.total).toBe(1);
    expect((await as(marketer, 'GET', '/suppressions?identifierType=email&value=ANN@example.com')).body.total).toBe(1);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await as(marketer, 'GET', `/suppressions?createdFrom=${future}`)).body.total).toBe(0);
    expect((await as(marketer, 'GET', `/suppressions?createdTo=${future}`)).body.total).toBe(4);
    const page1 = await as(marketer, 'GET', '/suppressions?limit=3');
    expect(page1.body.items).toHaveLength(3);
    const page2 = await as(marketer, 'GET', `/suppressions?limit=3&after=${page1.body.nextCursor}`);
    expect(page2.body.items.map((i: { value: string }) => i.value)).toEqual(['ann@example.com']);
    expect(page2.body.nextCursor).toBeNull();
    for (const [search, path] of [
      ['limit=0', 'query.limit'],
      ['channel=fax', 'query.channel'],
      ['createdFrom=yesterday', 'query.createdFrom'],
      ['after=abc', 'query.after'],
    ]) {
      expect(await as(marketer, 'GET', `/suppressions?${search}`)).toMatchObject({ status: 400, body: { details: [{ path }] } });
    }
  });

  it('exports a streamed CSV (admin only) that imports back unchanged, and audits it', async () => {
    expect((await fetch(`${api.baseUrl}/suppressions/export`, { headers: { authorization: `Bearer ${marketer}` } })).status).toBe(403);
    const response = await fetch(`${api.baseUrl}/suppressions/export?channel=all`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).trim().split('\n');
    expect(lines[0]).toBe('identifier_type,identifier_value,channel,reason,created_at');
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 3).join(','))).toEqual(['email,dan@example.com,all', 'user_id,u-eve,all']);
    expect(lines[1]).toContain('"bounced, hard"');
    const reimport = await importCsv(marketer, lines.join('\n'));
    expect(reimport.body).toMatchObject({ lines: 2, added: 0, alreadySuppressed: 2, invalidCount: 0 });
    expect((await audit('suppression.exported'))[0].details).toEqual({ via: 'api', filter: { channel: 'all' } });
  });

  it('lifts a suppression with a reason (audited), 404 when not suppressed', async () => {
    const body = { identifierType: 'email', value: 'DAN@example.com', channel: 'all', reason: 'resubscribed in store' };
    expect(await as(marketer, 'POST', '/suppressions/removals', body)).toMatchObject({
      status: 200,
      body: { value: 'dan@example.com', reason: 'bounced, hard' },
    });
    expect(await as(marketer, 'POST', '/suppressions/removals', body)).toMatchObject({
      status: 404,
      body: { code: 'suppression_not_found' },
    });
    expect((await audit('suppression.removed'))[0].details).toEqual({
      identifierType: 'email',
      value: 'dan@example.com',
      channel: 'all',
      reason: 'resubscribed in store',
      suppressedFor: 'bounced, hard',
    });
  });

  it('a category a destination requires cannot be deleted (409); once unmapped it can (204)', async () => {
    expect(await as(admin, 'DELETE', '/consent/categories/email_marketing')).toMatchObject({
      status: 409,
      body: { code: 'consent_category_in_use' },
    });
    await as(admin, 'PUT', `/destinations/${destinationId}/consent-categories`, { categories: [] });
    expect((await as(admin, 'DELETE', '/consent/categories/email_marketing')).status).toBe(204);
    expect((await as(admin, 'DELETE', '/consent/categories/email_marketing')).status).toBe(404);
  });
});
