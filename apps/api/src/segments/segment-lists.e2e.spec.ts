import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { insertProfile } from '../../test/seed-data';

/**
 * Static list segments through the API: create one, upload a CSV (text/csv), read the report of
 * unmatched and invalid lines by line number, refresh, and see the matching profiles as members;
 * a second upload is a new version whose refresh moves the membership. Then the member export
 * (admin only, audited) and the refusals: real time, preview, JSON bodies, bad queries.
 */
describe('list segments and the member export', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let adminKey: string;
  let segmentId: string;
  const profile: Record<string, string> = {};

  async function call(method: string, path: string, key: string, body?: string, type = 'application/json') {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) },
      body,
    });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, body: json, text, headers: response.headers };
  }

  async function addIdentity(profileId: string, type: string, value: string): Promise<void> {
    await db.dataSource.query(`INSERT INTO identities (type, value, profile_id) VALUES ($1, $2, $3)`, [type, value, profileId]);
  }

  async function applyRefresh(runId: string): Promise<void> {
    expect(await api.app.get(SegmentRefreshService).execute(runId)).toMatchObject({ status: 'succeeded' });
  }

  async function members(): Promise<string[]> {
    const rows: { profile_id: string }[] = await db.dataSource.query(
      `SELECT profile_id FROM segment_memberships WHERE segment_id = $1 ORDER BY profile_id`,
      [segmentId],
    );
    return rows.map((row) => row.profile_id);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    adminKey = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    for (const name of ['ann', 'bob', 'cy']) {
      profile[name] = await insertProfile(db.dataSource, { name });
      await addIdentity(profile[name], 'email', `${name}@example.com`);
    }
    await addIdentity(profile['ann'], 'user_id', 'u-ann');
    const created = await call(
      'POST',
      '/segments',
      marketerKey,
      JSON.stringify({ key: 'vip-list', name: 'VIP list', owner: 'crm', definition: { type: 'list', identifierType: 'email' } }),
    );
    expect(created.status).toBe(201);
    segmentId = created.body.id;
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('reports unmatched and invalid lines by number, and the refresh makes the matching profiles members', async () => {
    const csv = ['Email', ' ANN@Example.com', 'not-an-email', 'bob@example.com', 'nobody@example.com', 'ann@example.com', ''].join('\n');
    const upload = await call('POST', `/segments/${segmentId}/list`, marketerKey, csv, 'text/csv');
    expect(upload.status).toBe(200);
    expect(upload.body).toMatchObject({
      segmentId,
      version: 2,
      lines: 5,
      identifiers: 3,
      duplicates: 1,
      matched: 2,
      unmatched: { count: 1, lines: [{ line: 5, value: 'nobody@example.com' }] },
      invalid: { count: 1, lines: [{ line: 3, value: 'not-an-email', reason: 'not an email address' }] },
    });
    const run = await call('GET', `/segments/${segmentId}/runs/${upload.body.runId}`, marketerKey);
    expect(run.body).toMatchObject({ status: 'queued', version: 2, trigger: 'list_upload' });
    await applyRefresh(upload.body.runId);
    expect(await members()).toEqual([profile['ann'], profile['bob']].sort());
  });

  it('a second upload is a new version; its refresh moves the membership and keeps the old version', async () => {
    const upload = await call('POST', `/segments/${segmentId}/list`, marketerKey, 'cy@example.com\nbob@example.com\n', 'text/csv');
    expect(upload.body).toMatchObject({ version: 3, lines: 2, matched: 2, unmatched: { count: 0 }, invalid: { count: 0 } });
    await applyRefresh(upload.body.runId);
    expect(await members()).toEqual([profile['bob'], profile['cy']].sort());
    const versions = await call('GET', `/segments/${segmentId}/versions`, marketerKey);
    expect(versions.body.map((version: { version: number }) => version.version)).toEqual([1, 2, 3]);
    const kept: { count: string }[] = await db.dataSource.query(
      `SELECT count(*) FROM segment_list_entries WHERE segment_id = $1 AND version = 2`,
      [segmentId],
    );
    expect(Number(kept[0].count)).toBe(3);
  });

  it('a profile that appears later joins at the next refresh', async () => {
    const dan = await insertProfile(db.dataSource, { name: 'dan' });
    await call('POST', `/segments/${segmentId}/list`, marketerKey, 'dan@example.com\n', 'text/csv').then((upload) =>
      expect(upload.body.unmatched.count).toBe(1),
    );
    await addIdentity(dan, 'email', 'dan@example.com');
    const refresh = await call('POST', `/segments/${segmentId}/refresh`, marketerKey);
    await applyRefresh(refresh.body.runId);
    expect(await members()).toEqual([dan]);
  });

  it('reads user ids and phones (normalised like ingestion) from a column named by the header', async () => {
    const users = await call(
      'POST',
      '/segments',
      marketerKey,
      JSON.stringify({ key: 'user-list', name: 'Users', owner: 'crm', definition: { type: 'list', identifierType: 'user_id' } }),
    );
    const upload = await call('POST', `/segments/${users.body.id}/list`, marketerKey, 'name,user_id\nAnn, u-ann \nX,\n', 'text/csv');
    expect(upload.body).toMatchObject({ lines: 2, matched: 1, invalid: { count: 1, lines: [{ line: 3, reason: 'empty' }] } });
    const phones = await call(
      'POST',
      '/segments',
      marketerKey,
      JSON.stringify({ key: 'phone-list', name: 'Phones', owner: 'crm', definition: { type: 'list', identifierType: 'phone' } }),
    );
    await addIdentity(profile['cy'], 'phone', '+447911123456');
    const phoneUpload = await call(
      'POST',
      `/segments/${phones.body.id}/list?defaultCountry=gb`,
      marketerKey,
      '07911 123456\n12\n',
      'text/csv',
    );
    expect(phoneUpload.body).toMatchObject({ matched: 1, invalid: { count: 1, lines: [{ line: 2, value: '12' }] } });
  });

  it('refuses real time, preview, other segment types, JSON bodies and bad queries with the field named', async () => {
    const realtime = await call(
      'POST',
      '/segments',
      marketerKey,
      JSON.stringify({
        key: 'rt-list',
        name: 'RT',
        owner: 'crm',
        refreshCadence: 'realtime',
        definition: { type: 'list', identifierType: 'email' },
      }),
    );
    expect(realtime.status).toBe(400);
    expect(realtime.body.details).toEqual([expect.objectContaining({ path: 'definition.type' })]);
    const preview = await call(
      'POST',
      '/segments/preview',
      marketerKey,
      JSON.stringify({ definition: { type: 'list', identifierType: 'email' } }),
    );
    expect(preview.status).toBe(400);
    expect(preview.body.code).toBe('list_needs_upload');
    const badType = await call(
      'POST',
      '/segments/preview',
      marketerKey,
      JSON.stringify({ definition: { type: 'list', identifierType: 'fax' } }),
    );
    expect(badType.status).toBe(400);
    expect(badType.body.details[0].path).toBe('definition.identifierType');
    const rules = await call(
      'POST',
      '/segments',
      marketerKey,
      JSON.stringify({
        key: 'rules',
        name: 'R',
        owner: 'crm',
        definition: { type: 'rules', match: { type: 'trait', trait: 'x', operator: 'exists' } },
      }),
    );
    const notList = await call('POST', `/segments/${rules.body.id}/list`, marketerKey, 'a@b.io\n', 'text/csv');
    expect(notList.status).toBe(400);
    expect(notList.body).toMatchObject({ code: 'not_a_list_segment', details: [{ path: 'definition.type' }] });
    const json = await call('POST', `/segments/${segmentId}/list`, marketerKey, JSON.stringify(['a@b.io']));
    expect(json.status).toBe(415);
    const empty = await call('POST', `/segments/${segmentId}/list`, marketerKey, 'email\n', 'text/csv');
    expect(empty.status).toBe(400);
    expect(empty.body.details[0].path).toBe('body');
    const country = await call('POST', `/segments/${segmentId}/list?defaultCountry=GBR`, marketerKey, 'a@b.io\n', 'text/csv');
    expect(country.status).toBe(400);
    expect(country.body.details[0].path).toBe('query.defaultCountry');
  });

  it('exports the members with the identifiers asked for as CSV, admin only, audited', async () => {
    const denied = await call('GET', `/segments/${segmentId}/members/export`, marketerKey);
    expect(denied.status).toBe(403);
    const exported = await call('GET', `/segments/${segmentId}/members/export?identifiers=email,user_id`, adminKey);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const [dan] = await members();
    expect(exported.text).toBe(`profile_id,email,user_id\n${dan},dan@example.com,\n`);
    const audit = await call('GET', `/audit-log?action=segment_members.exported&objectId=${segmentId}`, adminKey);
    expect(audit.body.items[0]).toMatchObject({ objectType: 'segments', details: { identifiers: ['email', 'user_id'], via: 'api' } });
    const bad = await call('GET', `/segments/${segmentId}/members/export?identifiers=email,fax`, adminKey);
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toMatch(/^query\.identifiers/);
    const unknown = await call('GET', `/segments/00000000-0000-4000-8000-000000000000/members/export`, adminKey);
    expect(unknown.status).toBe(404);
  });
});
