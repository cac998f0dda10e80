import axios from 'axios';
import { z } from 'zod';
import { definitionProblems, InvalidCredentialsError, PayloadValidationError, RetryableError, sha256Hex } from '@audiencekit/connector-sdk';
import { startFakeVendor, testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { clearGoogleTokenCache, googleAdsConnector, GoogleSecrets, GoogleSettings, quotaRetryAfterMs } from '../index';
import { GoogleFake, startGoogleFake, status } from '../fake/google-fake';
import { google } from './google-test-helpers';

const TOKEN = 'google-test-token';
const CLIENT = { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' };
const SETTINGS = {
  operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
  productDestinationId: '555000111',
  acceptCustomerMatchTerms: true,
};
const INGEST = 'POST /v1/audienceMembers:ingest';
const REMOVE = 'POST /v1/audienceMembers:remove';

describe('google-ads connector against the fake Data Manager API', () => {
  let fake: GoogleFake;
  const invalidHash = sha256Hex('bad@example.com');

  beforeEach(async () => {
    clearGoogleTokenCache();
    fake = await startGoogleFake({ accessTokens: [TOKEN], oauthClient: CLIENT, invalidHashes: [invalidHash] });
  });
  afterEach(async () => fake.stop());

  const context = (settings: Record<string, unknown> = {}, secrets: GoogleSecrets = { accessToken: TOKEN }) =>
    testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
      settings: { ...SETTINGS, ...settings },
      secrets,
      baseUrl: fake.url,
      audience: { externalId: '555000111' },
    });
  const bodyOf = (route: string, index = 0) => fake.server.requestsTo(route)[index].body as any;

  it('is a well-formed definition that re-uploads members before the 540-day lifespan ends', () => {
    expect(definitionProblems(googleAdsConnector)).toEqual([]);
    expect(googleAdsConnector.limits.refreshMembershipAfterDays).toBeLessThan(540);
    expect(googleAdsConnector.limits.maxBatchSize).toBe(10_000);
  });

  it('testConnection validates a probe request without ingesting anything', async () => {
    await expect(googleAdsConnector.testConnection(context())).resolves.toBeUndefined();
    expect(bodyOf(INGEST).validateOnly).toBe(true);
    expect(fake.members.size).toBe(0);
    expect(fake.requestIds).toEqual([]);
  });

  it('testConnection: a bad token and a foreign account are invalid credentials; unaccepted terms a payload problem', async () => {
    await expect(googleAdsConnector.testConnection(context({}, { accessToken: 'nope' }))).rejects.toMatchObject({
      name: 'InvalidCredentialsError',
      vendorCode: 'UNAUTHENTICATED',
    });
    const foreign = googleAdsConnector.testConnection(context({ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '999' } }));
    await expect(foreign).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(foreign).rejects.toMatchObject({ vendorCode: 'PERMISSION_DENIED' });
    // Settings saved before the schema required the terms still reach Google, which refuses them.
    const stored = context();
    const unaccepted = { ...stored, settings: { ...stored.settings, acceptCustomerMatchTerms: false } } as unknown as typeof stored;
    const terms = googleAdsConnector.testConnection(unaccepted);
    await expect(terms).rejects.toBeInstanceOf(PayloadValidationError);
    await expect(terms).rejects.toMatchObject({ vendorCode: 'TERMS_AND_CONDITIONS_NOT_SIGNED' });
  });

  it('refuses at save settings without the Customer Match terms accepted, naming the field (Google would refuse every upload)', () => {
    for (const value of [false, undefined]) {
      const parsed = googleAdsConnector.settings.safeParse({ ...SETTINGS, acceptCustomerMatchTerms: value });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues).toEqual([
        expect.objectContaining({ path: ['acceptCustomerMatchTerms'], message: expect.stringMatching(/Customer Match terms/) }),
      ]);
    }
    expect(googleAdsConnector.settings.safeParse(SETTINGS).success).toBe(true);
  });

  it('a refresh token is exchanged once at the token endpoint and its access token used; a revoked one is invalid credentials', async () => {
    const ctx = context({}, CLIENT);
    await google.upsert(ctx, testMembers(1));
    await google.upsert(ctx, testMembers(1));
    expect(fake.server.requestsTo('POST /token')).toHaveLength(1);
    expect(fake.server.requestsTo(INGEST)[0].headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    clearGoogleTokenCache();
    await expect(google.upsert(context({}, { ...CLIENT, refreshToken: 'revoked' }), testMembers(1))).rejects.toMatchObject({
      name: 'InvalidCredentialsError',
      vendorCode: 'invalid_grant',
    });
  });

  it('has no tokenUrl setting: the refresh token and client secret go only to the token endpoint of the operator’s base URL (#16)', async () => {
    const listener = await startFakeVendor({
      routes: { 'POST /token': () => ({ status: 200, body: { access_token: 'ya29.stolen', expires_in: 3600 } }) },
    });
    try {
      const ctx = context({ tokenUrl: `${listener.url}/token` }, CLIENT);
      expect(ctx.settings).not.toHaveProperty('tokenUrl');
      await googleAdsConnector.testConnection(ctx);
      expect(listener.requests).toHaveLength(0);
      expect(fake.server.requestsTo('POST /token')).toHaveLength(1);
      expect(JSON.stringify(z.toJSONSchema(googleAdsConnector.settings, { io: 'input', unrepresentable: 'any' }))).not.toContain(
        'tokenUrl',
      );
    } finally {
      await listener.stop();
    }
  });

  it('upsert ingests hashed identifiers with destination, consent, terms and HEX encoding, and records the requestId', async () => {
    const member = testMember({
      profileId: 'p1',
      email: 'Dana@Example.com',
      phone: '+18005550100',
      traits: { first_name: 'Dana', last_name: 'Lee', country_code: 'US', postal_code: '94043' },
    });
    const outcomes = await google.upsert(context(), [member]);
    expect(outcomes).toEqual([{ profileId: 'p1', status: 'delivered', vendorId: fake.requestIds[0] }]);
    expect(bodyOf(INGEST)).toEqual({
      destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '555000111' }],
      audienceMembers: [
        {
          userData: {
            userIdentifiers: [
              { emailAddress: sha256Hex('dana@example.com') },
              { phoneNumber: sha256Hex('+18005550100') },
              { address: { givenName: sha256Hex('dana'), familyName: sha256Hex('lee'), regionCode: 'US', postalCode: '94043' } },
            ],
          },
        },
      ],
      consent: { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' },
      encoding: 'HEX',
      termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' },
    });
    expect(fake.members.size).toBe(3);
  });

  it('remove goes in its own :remove request, without consent or terms, and takes members out', async () => {
    const members = testMembers(2);
    await google.upsert(context(), members);
    const outcomes = await google.remove(context(), members.slice(0, 1));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered']);
    expect(Object.keys(bodyOf(REMOVE)).sort()).toEqual(['audienceMembers', 'destinations', 'encoding']);
    expect(fake.members.has(`email:${sha256Hex('user1@example.com')}`)).toBe(false);
    expect(fake.members.has(`email:${sha256Hex('user2@example.com')}`)).toBe(true);
  });

  it('a partial failure: the member Google names is rejected, the others are retryable, nothing was applied', async () => {
    const members = [
      testMember({ profileId: 'a', email: 'a@example.com' }),
      testMember({ profileId: 'bad', email: 'bad@example.com' }),
      testMember({ profileId: 'c', phone: '+15550000003' }),
      testMember({ profileId: 'none', externalId: 'x' }),
    ];
    const outcomes = await google.upsert(context(), members);
    const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
    expect(byId.bad).toMatchObject({ status: 'rejected', code: 'INVALID_AUDIENCE_MEMBER' });
    expect(byId.a.status).toBe('retryable');
    expect(byId.c.status).toBe('retryable');
    expect(byId.none).toMatchObject({ status: 'rejected', code: 'NO_IDENTIFIERS_PROVIDED' });
    expect(fake.members.size).toBe(0);
    const retried = await google.upsert(context(), [members[0], members[2]]);
    expect(retried.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
  });

  it('429 RESOURCE_EXHAUSTED is retryable with Retry-After, or with the per-minute reset when only the quota is named', async () => {
    fake.server.fault({
      match: INGEST,
      times: 1,
      respond: status(429, 'RESOURCE_EXHAUSTED', 'Too many requests.', [], { 'retry-after': '5' }),
    });
    const first = google.upsert(context(), testMembers(1));
    await expect(first).rejects.toBeInstanceOf(RetryableError);
    await expect(first).rejects.toMatchObject({ retryAfterMs: 5000, vendorCode: 'RESOURCE_EXHAUSTED', hints: { slowDown: true } });

    const limited = await startGoogleFake({ accessTokens: [TOKEN], requestsPerMinute: 1 });
    try {
      const ctx = testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
        settings: SETTINGS,
        secrets: { accessToken: TOKEN },
        baseUrl: limited.url,
      });
      await google.upsert(ctx, testMembers(1));
      const error = await google.upsert(ctx, testMembers(1)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      const wait = (error as RetryableError).retryAfterMs ?? -1;
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000);
    } finally {
      await limited.stop();
    }
  });

  it('a daily quota waits until midnight Pacific time', () => {
    const body = { error: { details: [{ metadata: { quota_limit: 'IngestionMutateRequestsPerDayPerProject' } }] } };
    // 07:00 UTC on 1 December is 23:00 in Los Angeles (PST, UTC-8): one hour to the reset.
    expect(quotaRetryAfterMs({}, body, Date.UTC(2026, 11, 1, 7, 0, 0))).toBe(3_600_000);
    expect(quotaRetryAfterMs({}, { error: {} }, Date.UTC(2026, 11, 1, 7, 0, 0))).toBeUndefined();
  });

  it('a 5xx surfaces as RetryableError, and the same call then succeeds', async () => {
    fake.server.fault({
      match: INGEST,
      times: 1,
      respond: status(503, 'UNAVAILABLE', 'The service is currently unavailable.', [], { 'retry-after': '2' }),
    });
    const members = testMembers(3);
    const failure = google.upsert(context(), members);
    await expect(failure).rejects.toBeInstanceOf(RetryableError);
    await expect(failure).rejects.toMatchObject({ retryAfterMs: 2000 });
    const outcomes = await google.upsert(context(), members);
    expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
  });

  it('10,000 members go in one request; 10,001 are refused by the plugin before sending, and by the fake', async () => {
    const many = testMembers(10_001);
    const outcomes = await google.upsert(context(), many.slice(0, 10_000));
    expect(outcomes.filter((outcome) => outcome.status === 'delivered')).toHaveLength(10_000);
    const before = fake.server.requests.length;
    await expect(google.upsert(context(), many)).rejects.toBeInstanceOf(PayloadValidationError);
    expect(fake.server.requests.length).toBe(before);

    const body = {
      ...bodyOf(INGEST),
      audienceMembers: Array.from({ length: 10_001 }, (_, i) => ({
        userData: { userIdentifiers: [{ emailAddress: sha256Hex(`u${i}@example.com`) }] },
      })),
    };
    const direct = await axios.post(`${fake.url}/v1/audienceMembers:ingest`, body, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      validateStatus: () => true,
      maxBodyLength: Infinity,
    });
    expect(direct.status).toBe(400);
    expect(JSON.stringify(direct.data)).toContain('TOO_MANY_AUDIENCE_MEMBERS');
  });

  it('reports the user list size Google estimates', async () => {
    await google.upsert(context(), testMembers(2));
    await expect(google.audienceSize(context())).resolves.toBe(4);
    expect(fake.server.requests.at(-1)?.path).toBe('/v1/accountTypes/GOOGLE_ADS/accounts/1234567890/userLists/555000111');
  });

  it('reads the size of a list reached through a manager account with the login-account header', async () => {
    await fake.stop();
    fake = await startGoogleFake({ accessTokens: [TOKEN], managerAccountId: '7777777777' });
    const viaManager = context({ loginAccount: { accountType: 'GOOGLE_ADS', accountId: '7777777777' } });
    await google.upsert(viaManager, testMembers(2));
    await expect(google.audienceSize(viaManager)).resolves.toBe(4);
    expect(fake.server.requests.at(-1)?.headers['login-account']).toBe('accountTypes/GOOGLE_ADS/accounts/7777777777');
    // Without it Google answers PERMISSION_DENIED, as the fake does.
    const direct = await axios.get(`${fake.url}/v1/accountTypes/GOOGLE_ADS/accounts/1234567890/userLists/555000111`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      validateStatus: () => true,
    });
    expect(direct.status).toBe(403);
    expect(direct.data.error.status).toBe('PERMISSION_DENIED');
  });

  it('never double-hashes an identifier that arrives hashed', async () => {
    const hash = sha256Hex('dana@example.com');
    await google.upsert(context(), [testMember({ email: hash })]);
    expect(bodyOf(INGEST).audienceMembers[0].userData.userIdentifiers).toEqual([{ emailAddress: hash }]);
  });

  it('no raw e-mail, phone or name ever leaves; region and postal code do, as Google asks', async () => {
    const members = testMembers(12, (i) => ({
      profileId: `p${i}`,
      email: `Person.${i}+promo@gmail.com`,
      phone: `+44770090${String(i).padStart(4, '0')}`,
      traits: { first_name: `Firstname${i}`, last_name: `Surname${i}`, country_code: 'GB', postal_code: `EC1A ${i}BB` },
    }));
    await google.upsert(context(), members.slice(0, 8));
    await google.remove(context(), members.slice(0, 4));
    await google.upsert(context({}, CLIENT), members.slice(8));
    const traffic = fake.server.requests.map((request) =>
      `${request.path} ${JSON.stringify(request.query)} ${decodeURIComponent(request.rawBody)}`.toLowerCase(),
    );
    const raws = members.flatMap((member) => {
      const { email, phone } = member.identifiers as { email: string; phone: string };
      return [
        email,
        email.replace('+promo', '').replace('.', ''),
        phone,
        phone.slice(1),
        String(member.traits.first_name),
        String(member.traits.last_name),
      ];
    });
    for (const raw of raws) for (const text of traffic) expect(text.includes(raw.toLowerCase())).toBe(false);
    expect(traffic.some((text) => text.includes('ec1a 0bb'))).toBe(true);
  });
});
