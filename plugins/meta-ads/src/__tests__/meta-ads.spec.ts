import axios from 'axios';
import {
  definitionProblems,
  EligibleMember,
  InvalidCredentialsError,
  PayloadValidationError,
  RetryableError,
  sha256Hex,
} from '@audiencekit/connector-sdk';
import { testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { metaAdsConnector, MetaSecrets, MetaSettings, replaceMetaAudience } from '../index';
import { graphError, MetaFake, startMetaFake } from '../fake/meta-fake';
import { audienceOf, meta } from './meta-test-helpers';

const TOKEN = 'meta-test-token';
const SETTINGS = { adAccountId: '1234567890', apiVersion: 'v23.0' };

describe('meta-ads connector against the fake Graph API', () => {
  let fake: MetaFake;
  const invalidHash = sha256Hex('bad@example.com');

  beforeEach(async () => {
    fake = await startMetaFake({ accessToken: TOKEN, adAccountId: '1234567890', invalidHashes: [invalidHash] });
  });
  afterEach(async () => fake.stop());

  const context = (settings: Partial<MetaSettings> = {}, secrets: MetaSecrets = { accessToken: TOKEN }, audienceId?: string) =>
    testContext<MetaSettings, MetaSecrets>(metaAdsConnector, {
      settings: { ...SETTINGS, ...settings },
      secrets,
      baseUrl: fake.url,
      audience: audienceId ? { externalId: audienceId } : undefined,
    });

  async function audience(settings: Partial<MetaSettings> = {}): Promise<string> {
    const { externalId } = await meta.ensureAudience(context(settings), { name: 'audiencekit: Cart abandoners', activationId: 'act-1' });
    return externalId;
  }

  it('is a well-formed definition', () => {
    expect(definitionProblems(metaAdsConnector)).toEqual([]);
    expect(metaAdsConnector.limits.maxBatchSize).toBe(10_000);
  });

  it('testConnection passes with the right token and refuses a bad one as invalid credentials', async () => {
    await expect(metaAdsConnector.testConnection(context())).resolves.toBeUndefined();
    const failure = metaAdsConnector.testConnection(context({}, { accessToken: 'wrong' }));
    await expect(failure).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(failure).rejects.toMatchObject({ vendorCode: '190' });
    expect(fake.server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(fake.server.requests.every((request) => !request.rawBody.includes(TOKEN) && request.query.access_token === undefined)).toBe(
      true,
    );
  });

  it('testConnection names a wrong ad account as a payload problem, not a credentials one', async () => {
    await expect(metaAdsConnector.testConnection(context({ adAccountId: '999' }))).rejects.toBeInstanceOf(PayloadValidationError);
  });

  it('ensureAudience creates the customer-list audience once and finds it afterwards', async () => {
    const first = await audience();
    const second = await audience();
    expect(second).toBe(first);
    const creates = fake.server.requestsTo('POST /:version/:account/customaudiences');
    expect(creates).toHaveLength(1);
    expect(creates[0].path).toBe('/v23.0/act_1234567890/customaudiences');
    expect(creates[0].body).toMatchObject({
      name: 'audiencekit: Cart abandoners',
      subtype: 'CUSTOM',
      customer_file_source: 'USER_PROVIDED_ONLY',
    });
    expect(audienceOf(fake, first).name).toBe('audiencekit: Cart abandoners');
  });

  it('upsert sends hashed EMAIL/PHONE rows and reports every member delivered', async () => {
    const id = await audience();
    const members = testMembers(3);
    const outcomes = await meta.upsert(context({}, undefined, id), members);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered', 'delivered']);
    const [request] = fake.server.requestsTo('POST /:version/:audience/users');
    const payload = JSON.parse((request.body as { payload: string }).payload);
    expect(payload.schema).toEqual(['EMAIL', 'PHONE']);
    expect(payload.data[0]).toEqual([sha256Hex('user1@example.com'), sha256Hex('15550000001')]);
    expect(audienceOf(fake, id).members.size).toBe(6);
  });

  it('a partial failure inside a batch rejects only the members Meta lists as invalid', async () => {
    const id = await audience();
    const members = [
      testMember({ profileId: 'ok', email: 'ok@example.com' }),
      testMember({ profileId: 'bad', email: 'bad@example.com' }),
      testMember({ profileId: 'none', externalId: 'x' }),
    ];
    const outcomes = await meta.upsert(context({}, undefined, id), members);
    const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
    expect(byId.ok.status).toBe('delivered');
    expect(byId.bad).toMatchObject({ status: 'rejected', code: 'invalid_entry' });
    expect(byId.none).toMatchObject({ status: 'rejected', code: 'no_identifier' });
    // The member with no identifier never reached Meta.
    const payload = JSON.parse((fake.server.requestsTo('POST /:version/:audience/users')[0].body as { payload: string }).payload);
    expect(payload.data).toHaveLength(2);
  });

  it('remove deletes the members; add-only mode sends nothing and records each removal as rejected', async () => {
    const id = await audience();
    const members = testMembers(2);
    await meta.upsert(context({}, undefined, id), members);
    const removed = await meta.remove(context({}, undefined, id), members.slice(0, 1));
    expect(removed).toEqual([expect.objectContaining({ profileId: 'profile-1', status: 'delivered' })]);
    expect(audienceOf(fake, id).members.size).toBe(2);

    const skipped = await meta.remove(context({ addOnly: true }, undefined, id), members.slice(1));
    expect(skipped).toEqual([expect.objectContaining({ profileId: 'profile-2', status: 'rejected', code: 'add_only' })]);
    expect(fake.server.requestsTo('DELETE /:version/:audience/users')).toHaveLength(1);
    expect(audienceOf(fake, id).members.size).toBe(2);
  });

  it('a rate limit (code 80003) is retryable with the wait the usage header gives, and asks to slow down', async () => {
    const id = await audience();
    const usage = JSON.stringify({
      '1234567890': [{ type: 'custom_audience', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 2 }],
    });
    fake.server.fault({
      match: 'POST /:version/:audience/users',
      times: 1,
      respond: graphError(400, 80003, 'There have been too many calls', 'OAuthException', undefined, {
        'x-business-use-case-usage': usage,
      }),
    });
    const failure = meta.upsert(context({}, undefined, id), testMembers(1));
    await expect(failure).rejects.toBeInstanceOf(RetryableError);
    await expect(failure).rejects.toMatchObject({ retryAfterMs: 120_000, vendorCode: '80003', hints: { slowDown: true } });
  });

  it('an HTTP 429 with Retry-After and an ad-account limit (613) carry their back-off hints', async () => {
    const id = await audience();
    fake.server.fault({
      match: 'POST /:version/:audience/users',
      times: 1,
      respond: { status: 429, headers: { 'retry-after': '7' }, body: 'slow down' },
    });
    await expect(meta.upsert(context({}, undefined, id), testMembers(1))).rejects.toMatchObject({ code: 'retryable', retryAfterMs: 7000 });
    fake.server.fault({
      match: 'POST /:version/:audience/users',
      times: 1,
      respond: graphError(400, 613, 'Calls to this api have exceeded the rate limit', 'OAuthException', 1487742, {
        'x-ad-account-usage': '{"acc_id_util_pct":100,"reset_time_duration":30}',
      }),
    });
    await expect(meta.upsert(context({}, undefined, id), testMembers(1))).rejects.toMatchObject({
      code: 'retryable',
      retryAfterMs: 30_000,
      vendorCode: '613/1487742',
    });
  });

  it('an audience that cannot be updated (2650) is a payload problem, not retried', async () => {
    const id = await audience();
    fake.server.fault({
      match: 'POST /:version/:audience/users',
      times: 1,
      respond: graphError(400, 2650, '(#2650) Failed to update the custom audience'),
    });
    const failure = meta.upsert(context({}, undefined, id), testMembers(1));
    await expect(failure).rejects.toBeInstanceOf(PayloadValidationError);
    await expect(failure).rejects.toMatchObject({ vendorCode: '2650' });
  });

  it('a 5xx surfaces as RetryableError, and the same call then succeeds', async () => {
    const id = await audience();
    fake.server.fault({
      match: 'POST /:version/:audience/users',
      times: 1,
      respond: { status: 503, headers: { 'retry-after': '3' }, body: { error: { message: 'Service temporarily unavailable', code: 2 } } },
    });
    const members = testMembers(2);
    const failure = meta.upsert(context({}, undefined, id), members);
    await expect(failure).rejects.toBeInstanceOf(RetryableError);
    await expect(failure).rejects.toMatchObject({ retryAfterMs: 3000 });
    const outcomes = await meta.upsert(context({}, undefined, id), members);
    expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
  });

  it('10,000 users go in one request; 10,001 are refused by the plugin before sending, and by the fake', async () => {
    const id = await audience();
    const many = testMembers(10_001);
    const outcomes = await meta.upsert(context({}, undefined, id), many.slice(0, 10_000));
    expect(outcomes.filter((outcome) => outcome.status === 'delivered')).toHaveLength(10_000);
    const before = fake.server.requests.length;
    await expect(meta.upsert(context({}, undefined, id), many)).rejects.toBeInstanceOf(PayloadValidationError);
    expect(fake.server.requests.length).toBe(before);

    const rows = Array.from({ length: 10_001 }, (_, index) => [sha256Hex(`u${index}@example.com`), '']);
    const direct = await axios.post(
      `${fake.url}/v23.0/${id}/users`,
      new URLSearchParams({
        payload: JSON.stringify({ schema: ['EMAIL', 'PHONE'], data: rows }),
        session: JSON.stringify({ session_id: 7, batch_seq: 1, last_batch_flag: true }),
      }),
      {
        headers: { Authorization: `Bearer ${TOKEN}` },
        validateStatus: () => true,
        maxBodyLength: Infinity,
      },
    );
    expect(direct.status).toBe(400);
    expect(direct.data.error.code).toBe(100);
  });

  it('adds and removes send the session /users requires: a numeric id per upload, batch 1 of 1; the fake refuses a request without it', async () => {
    const id = await audience();
    const members = testMembers(3);
    await meta.upsert(context({}, undefined, id), members);
    await meta.remove(context({}, undefined, id), members.slice(0, 1));
    const sessions = [
      ...fake.server.requestsTo('POST /:version/:audience/users'),
      ...fake.server.requestsTo('DELETE /:version/:audience/users'),
    ].map((request) => JSON.parse((request.body as { session: string }).session));
    expect(sessions).toEqual([
      { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 3 },
      { session_id: expect.any(Number), batch_seq: 1, last_batch_flag: true, estimated_num_total: 1 },
    ]);
    expect(sessions.every((session) => Number.isSafeInteger(session.session_id) && session.session_id > 0)).toBe(true);
    expect(sessions[0].session_id).not.toBe(sessions[1].session_id);
    expect(audienceOf(fake, id).members.size).toBe(2 * 2);

    const payload = JSON.stringify({ schema: ['EMAIL'], data: [[sha256Hex('x@example.com')]] });
    const post = (form: Record<string, string>) =>
      axios.post(`${fake.url}/v23.0/${id}/users`, new URLSearchParams(form), {
        headers: { Authorization: `Bearer ${TOKEN}` },
        validateStatus: () => true,
      });
    const missing = await post({ payload });
    expect([missing.status, missing.data.error.code, missing.data.error.message]).toEqual([
      400,
      100,
      '(#100) The parameter session is required',
    ]);
    const textual = await post({ payload, session: JSON.stringify({ session_id: 'abc', batch_seq: 1, last_batch_flag: true }) });
    expect([textual.status, textual.data.error.message]).toEqual([400, expect.stringMatching(/session_id must be a positive integer/)]);
  });

  it('a full replace sends one session over its batches, in order, and the audience ends up exactly the new members', async () => {
    const id = await audience();
    const old = testMember({ profileId: 'old', email: 'old@example.com' });
    await meta.upsert(context({}, undefined, id), [old]);
    const batches = [
      testMembers(3),
      testMembers(3, (i) => ({ email: `b${i}@example.com` })),
      testMembers(2, (i) => ({ phone: `+4420000000${i}` })),
    ];
    const outcomes = await replaceMetaAudience(context({}, undefined, id), batches, 'run-42');
    expect(outcomes).toHaveLength(8);
    const sessions = fake.server
      .requestsTo('POST /:version/:audience/usersreplace')
      .map((request) => JSON.parse((request.body as { session: string }).session));
    expect(sessions.map((session) => session.batch_seq)).toEqual([1, 2, 3]);
    expect(sessions.map((session) => session.last_batch_flag)).toEqual([false, false, true]);
    expect(new Set(sessions.map((session) => session.session_id)).size).toBe(1);
    expect(sessions.every((session) => session.estimated_num_total === 8)).toBe(true);
    const members = audienceOf(fake, id).members;
    expect(members.has(`EMAIL:${sha256Hex('old@example.com')}`)).toBe(false);
    expect(members.has(`EMAIL:${sha256Hex('b0@example.com')}`)).toBe(true);
    expect(members.size).toBe(3 * 2 + 3 + 2);
  });

  it('never double-hashes: an already hashed e-mail is sent as it came (lower-cased)', async () => {
    const id = await audience();
    const hash = sha256Hex('ada@example.com');
    await meta.upsert(context({}, undefined, id), [testMember({ email: hash.toUpperCase() })]);
    const payload = JSON.parse((fake.server.requestsTo('POST /:version/:audience/users')[0].body as { payload: string }).payload);
    expect(payload.data).toEqual([[hash, '']]);
  });

  it('reports the audience size Meta gives', async () => {
    const id = await audience();
    await meta.upsert(
      context({}, undefined, id),
      testMembers(4, (i) => ({ email: `s${i}@example.com` })),
    );
    await expect(meta.audienceSize(context({}, undefined, id))).resolves.toBe(4);
  });

  it('no raw e-mail or phone ever leaves: every recorded request is scanned', async () => {
    const id = await audience();
    const members: EligibleMember[] = testMembers(20, (i) => ({
      profileId: `p${i}`,
      email: `Person.${i}@Example.com`,
      phone: `+44 7700 900${String(i).padStart(3, '0')}`,
    }));
    const ctx = context({}, undefined, id);
    await meta.upsert(ctx, members.slice(0, 10));
    await meta.remove(ctx, members.slice(0, 5));
    await replaceMetaAudience(ctx, [members.slice(10, 15), members.slice(15)], 'scan-run');
    const raws = members.flatMap((member) => {
      const email = String(member.identifiers.email);
      const phone = String(member.identifiers.phone);
      return [email, email.toLowerCase(), phone, phone.replace(/\D/g, ''), `+${phone.replace(/\D/g, '')}`];
    });
    const traffic = fake.server.requests.map((request) =>
      `${request.path} ${JSON.stringify(request.query)} ${decodeURIComponent(request.rawBody)}`.toLowerCase(),
    );
    expect(traffic.length).toBeGreaterThan(4);
    for (const raw of raws) for (const text of traffic) expect(text.includes(raw.toLowerCase())).toBe(false);
  });
});
