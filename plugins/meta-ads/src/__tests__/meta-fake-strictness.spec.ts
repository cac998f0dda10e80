import { sha256Hex } from '@audiencekit/connector-sdk';
import { testContext, testMember } from '@audiencekit/connector-sdk/testing';
import { metaAdsConnector, MetaSecrets, MetaSettings } from '../index';
import { MetaFake, startMetaFake } from '../fake/meta-fake';
import { meta } from './meta-test-helpers';

/**
 * The fake refuses what the Graph API refuses: a sample of invalid requests taken from Meta's codegen
 * spec (spec/codegen) and the guide's payload and session shape (spec/guide.json), sent as raw HTTP
 * to the fake on 127.0.0.1, not through the connector, each answered as Graph does:
 * `{ error: { message, type, code, fbtrace_id } }`, code 100.
 */
const TOKEN = 'strict-meta-token';
const HASH = sha256Hex('someone@example.com');
const PHONE = sha256Hex('33612345678');

describe('the Meta fake is as strict as the Graph API spec', () => {
  let fake: MetaFake;
  let audienceId: string;
  beforeAll(async () => {
    fake = await startMetaFake({ accessToken: TOKEN, adAccountId: '1234567890', usageBudget: 10, businessId: '777' });
    const created = await send('POST', '/v25.0/act_1234567890/customaudiences', {
      name: 'strict',
      subtype: 'CUSTOM',
      customer_file_source: 'USER_PROVIDED_ONLY',
    });
    audienceId = created.body.id;
  });
  afterAll(async () => fake.stop());

  async function send(method: string, path: string, form?: Record<string, string>) {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }
  const session = (id: number | string = 1234567) =>
    JSON.stringify({ session_id: id, batch_seq: 1, last_batch_flag: true, estimated_num_total: 1 });
  const payload = (schema: unknown = ['EMAIL', 'PHONE'], data: unknown = [[HASH, PHONE]]) => JSON.stringify({ schema, data });

  it('listens on the loopback address only', () => {
    expect(new URL(fake.url).hostname).toBe('127.0.0.1');
  });

  const samples: [string, string, string, Record<string, string> | undefined, RegExp][] = [
    [
      'an unknown schema key',
      'POST',
      'users',
      { payload: payload(['EMAIL_SHA256']), session: session() },
      /schema has unknown keys: EMAIL_SHA256/,
    ],
    ['a text session_id', 'POST', 'users', { payload: payload(), session: session('abc') }, /session_id must be a positive integer/],
    [
      'a batch_seq of 0',
      'POST',
      'users',
      { payload: payload(), session: JSON.stringify({ session_id: 5, batch_seq: 0, last_batch_flag: true }) },
      /batch_seq must be an integer from 1/,
    ],
    [
      'a last_batch_flag given as text',
      'DELETE',
      'users',
      { payload: payload(), session: JSON.stringify({ session_id: 5, batch_seq: 1, last_batch_flag: 'yes' }) },
      /last_batch_flag must be a boolean/,
    ],
    [
      'an unknown key in session',
      'POST',
      'usersreplace',
      { payload: payload(), session: JSON.stringify({ session_id: 5, batch_seq: 1, last_batch_flag: true, total: 1 }) },
      /session has unknown keys: total/,
    ],
    ['the session missing on /users (required by the guide)', 'POST', 'users', { payload: payload() }, /The parameter session is required/],
    [
      'the payload missing on usersreplace (required in the codegen spec)',
      'POST',
      'usersreplace',
      { session: session() },
      /The parameter payload is required/,
    ],
    [
      'a row narrower than the schema',
      'POST',
      'users',
      { payload: payload(['EMAIL', 'PHONE'], [[HASH]]), session: session() },
      /does not have 2 values/,
    ],
    [
      'an unknown payload key',
      'POST',
      'users',
      { payload: JSON.stringify({ schema: ['EMAIL'], data: [[HASH]], rows: 1 }), session: session() },
      /unknown keys: rows/,
    ],
  ];

  it.each(samples)('refuses %s: 400, code 100, OAuthException with an fbtrace_id', async (_name, method, edge, form, message) => {
    const before = fake.audiences.get(audienceId)?.members.size;
    const answer = await send(method, `/v25.0/${audienceId}/${edge}`, form);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      message: expect.stringMatching(message),
      type: 'OAuthException',
      code: 100,
      fbtrace_id: expect.any(String),
    });
    expect(answer.body.error.message).toMatch(/^\(#100\) /);
    expect(fake.audiences.get(audienceId)?.members.size).toBe(before);
  });

  it('refuses a subtype outside the codegen enum and a customer_file_source outside its enum', async () => {
    const subtype = await send('POST', '/v25.0/act_1234567890/customaudiences', { name: 'x', subtype: 'CUSTOMER_LIST' });
    expect(subtype.status).toBe(400);
    expect(subtype.body.error).toMatchObject({
      code: 100,
      type: 'OAuthException',
      message: expect.stringContaining('Param subtype must be one of {'),
    });
    const source = await send('POST', '/v25.0/act_1234567890/customaudiences', {
      name: 'x',
      subtype: 'CUSTOM',
      customer_file_source: 'MINE',
    });
    expect(source.body.error.message).toContain(
      'Param customer_file_source must be one of {BOTH_USER_AND_PARTNER_PROVIDED, PARTNER_PROVIDED_ONLY, USER_PROVIDED_ONLY}',
    );
  });

  it('refuses a field the node does not have, as Graph words it', async () => {
    const answer = await send('GET', `/v25.0/${audienceId}?fields=approximate_count,name`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 100,
      type: 'OAuthException',
      message: '(#100) Tried accessing nonexisting field (approximate_count) on node type (CustomAudience)',
    });
  });

  it('an object that does not exist is GraphMethodException, subcode 33', async () => {
    const answer = await send('GET', '/v25.0/99999?fields=id');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 100, type: 'GraphMethodException', error_subcode: 33, fbtrace_id: expect.any(String) });
  });

  it('sends the usage headers on every answer, in the shapes of the rate-limiting page', async () => {
    const answer = await send('GET', '/v25.0/act_1234567890?fields=id,name');
    const app = JSON.parse(answer.headers.get('x-app-usage') ?? 'null');
    const account = JSON.parse(answer.headers.get('x-ad-account-usage') ?? 'null');
    const buc = JSON.parse(answer.headers.get('x-business-use-case-usage') ?? 'null');
    expect(app).toEqual({ call_count: expect.any(Number), total_cputime: expect.any(Number), total_time: expect.any(Number) });
    expect(account).toEqual({
      acc_id_util_pct: expect.any(Number),
      reset_time_duration: expect.any(Number),
      ads_api_access_tier: 'standard_access',
    });
    expect(buc['777']).toEqual([
      {
        type: 'custom_audience',
        call_count: expect.any(Number),
        total_cputime: expect.any(Number),
        total_time: expect.any(Number),
        estimated_time_to_regain_access: 0,
        ads_api_access_tier: 'standard_access',
      },
    ]);
    // Refusals carry them too.
    const refused = await send('POST', `/v25.0/${audienceId}/users`, { payload: payload() });
    expect(refused.headers.get('x-app-usage')).not.toBeNull();
  });

  it('counts the audience in people, not identifiers: a person with an e-mail and a phone is one', async () => {
    const created = await send('POST', '/v25.0/act_1234567890/customaudiences', {
      name: 'people',
      subtype: 'CUSTOM',
      customer_file_source: 'USER_PROVIDED_ONLY',
    });
    const ctx = testContext<MetaSettings, MetaSecrets>(metaAdsConnector, {
      settings: { adAccountId: '1234567890' },
      secrets: { accessToken: TOKEN },
      baseUrl: fake.url,
      audience: { externalId: created.body.id },
    });
    const people = [
      testMember({ email: 'a@example.com', phone: '+33600000001' }),
      testMember({ email: 'b@example.com', phone: '+33600000002' }),
      testMember({ email: 'c@example.com' }),
    ];
    await meta.upsert(ctx, people);
    // The same person again by phone only, in a later request: still three people.
    await meta.upsert(ctx, [testMember({ phone: '+33600000001' })]);
    const read = await send('GET', `/v25.0/${created.body.id}?fields=approximate_count_lower_bound,approximate_count_upper_bound`);
    expect(read.body).toMatchObject({ approximate_count_lower_bound: 3, approximate_count_upper_bound: 3 });
    await expect(meta.audienceSize(ctx)).resolves.toBe(3);
    await meta.remove(ctx, [testMember({ email: 'a@example.com' })]);
    await expect(meta.audienceSize(ctx)).resolves.toBe(2);
  });
});
