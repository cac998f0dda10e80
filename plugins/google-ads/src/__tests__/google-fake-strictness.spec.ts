import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '@audiencekit/connector-sdk';
import { GoogleFake, startGoogleFake } from '../fake/google-fake';
import { specEnum } from '../fake/data-manager-spec';

/**
 * The fake refuses what the Data Manager API refuses: a sample of invalid requests taken from the
 * protos (unknown names, wrong types and enums, a oneof set twice, REQUIRED fields missing, an
 * unknown query parameter) sent as raw HTTP to the fake on 127.0.0.1, not through the connector,
 * each answered 400 INVALID_ARGUMENT in the google.rpc.Status shape with ErrorInfo and BadRequest.
 */
const TOKEN = 'strict-token';
const HASH = sha256Hex('someone@example.com');
const destination = { operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '555000111' };
const valid = () => ({
  destinations: [structuredClone(destination)],
  audienceMembers: [{ userData: { userIdentifiers: [{ emailAddress: HASH }] } }],
  encoding: 'HEX',
  termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' },
});

describe('the Google fake is as strict as the Data Manager protos', () => {
  let fake: GoogleFake;
  beforeAll(async () => {
    fake = await startGoogleFake({ accessTokens: [TOKEN] });
  });
  afterAll(async () => fake.stop());

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fake.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('listens on the loopback address only', () => {
    expect(new URL(fake.url).hostname).toBe('127.0.0.1');
  });

  it('accepts the valid request the samples are made from', async () => {
    const answer = await post('/v1/audienceMembers:ingest', valid());
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ requestId: expect.any(String) });
  });

  const mutate = (change: (body: any) => void) => {
    const body = valid() as any;
    change(body);
    return body;
  };
  const samples: [string, unknown, string, string][] = [
    ['an unknown top-level field (misspelt encoding)', mutate((b) => (b.encodng = 'HEX')), '', 'Unknown name "encodng"'],
    [
      'an unknown field inside a destination',
      mutate((b) => (b.destinations[0].userListId = '1')),
      'destinations[0]',
      `Unknown name "userListId" at 'destinations[0]'`,
    ],
    [
      'an unknown field inside an identifier',
      mutate((b) => (b.audienceMembers[0].userData.userIdentifiers[0].hashedEmail = HASH)),
      'audience_members[0].user_data.user_identifiers[0]',
      'Unknown name "hashedEmail"',
    ],
    ['an Encoding that is not in the enum', mutate((b) => (b.encoding = 'SHA256')), 'encoding', 'google.ads.datamanager.v1.Encoding'],
    [
      'an AccountType that is not in the enum',
      mutate((b) => (b.destinations[0].operatingAccount.accountType = 'ADS')),
      'destinations[0].operating_account.account_type',
      'AccountType',
    ],
    ['a bool given as a string', mutate((b) => (b.validateOnly = 'true')), 'validate_only', 'TYPE_BOOL'],
    ['a repeated field given as an object', mutate((b) => (b.destinations = destination)), 'destinations', 'repeated'],
    [
      'two members of the identifier oneof in one UserIdentifier',
      mutate((b) => (b.audienceMembers[0].userData.userIdentifiers[0].phoneNumber = HASH)),
      'audience_members[0].user_data.user_identifiers[0]',
      'Multiple values for oneof "identifier"',
    ],
    [
      'ProductAccount.account_type (REQUIRED) missing',
      mutate((b) => delete b.destinations[0].operatingAccount.accountType),
      'destinations[0].operating_account.account_type',
      'Required field is missing.',
    ],
    [
      'AddressInfo.postal_code (REQUIRED) missing',
      mutate(
        (b) => (b.audienceMembers[0].userData.userIdentifiers = [{ address: { givenName: HASH, familyName: HASH, regionCode: 'FR' } }]),
      ),
      'audience_members[0].user_data.user_identifiers[0].address.postal_code',
      'Required field is missing.',
    ],
  ];

  it.each(samples)('refuses %s: 400 INVALID_ARGUMENT naming the field', async (_name, body, field, text) => {
    const answer = await post('/v1/audienceMembers:ingest', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: expect.any(String) });
    const [info, badRequest] = answer.body.error.details;
    expect(info).toEqual({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'INVALID_ARGUMENT',
      domain: 'datamanager.googleapis.com',
    });
    expect(badRequest['@type']).toBe('type.googleapis.com/google.rpc.BadRequest');
    expect(badRequest.fieldViolations).toContainEqual(expect.objectContaining({ field, description: expect.stringContaining(text) }));
  });

  it('refuses a body that is not JSON, and nothing of a refused request is applied', async () => {
    const before = fake.members.size;
    const answer = await post('/v1/audienceMembers:ingest', '{"destinations": [');
    expect(answer.status).toBe(400);
    expect(answer.body.error.status).toBe('INVALID_ARGUMENT');
    const refused = await post(
      '/v1/audienceMembers:ingest',
      mutate((b) => {
        b.audienceMembers.push({ userData: { userIdentifiers: [{ emailAddress: sha256Hex('other@example.com') }] } });
        b.extra = 1;
      }),
    );
    expect(refused.status).toBe(400);
    expect(fake.members.size).toBe(before);
  });

  it('RemoveAudienceMembersRequest has no terms_of_service and no consent: sending them is an unknown name', async () => {
    const answer = await post('/v1/audienceMembers:remove', valid());
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('Unknown name "termsOfService"');
  });

  it('RetrieveRequestStatus: request_id is REQUIRED and unknown query parameters are refused; a wrong id is INVALID_REQUEST_ID', async () => {
    const missing = await get('/v1/requestStatus:retrieve');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[1].fieldViolations).toContainEqual(
      expect.objectContaining({ field: 'request_id', reason: 'REQUIRED_FIELD_MISSING' }),
    );
    const unknown = await get('/v1/requestStatus:retrieve?requestId=x&verbose=1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('Unknown name "verbose"');
    const wrong = await get('/v1/requestStatus:retrieve?requestId=not-a-request');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[1].fieldViolations[0].reason).toBe('INVALID_REQUEST_ID');
  });

  it('accepts BASE64 hashes (encoding BASE64) as the same member as their HEX form, and refuses malformed ones', async () => {
    const email = sha256Hex('base64@example.com');
    const asBase64 = Buffer.from(email, 'hex').toString('base64');
    const body = mutate((b) => {
      b.encoding = 'BASE64';
      b.audienceMembers[0].userData.userIdentifiers[0].emailAddress = asBase64;
    });
    expect((await post('/v1/audienceMembers:ingest', body)).status).toBe(200);
    expect(fake.members.has(`email:${email}`)).toBe(true);
    // The same value declared HEX is not hex; a hex digest declared BASE64 decodes to 48 bytes, not 32.
    const asHex = await post('/v1/audienceMembers:ingest', { ...body, encoding: 'HEX' });
    expect(asHex.body.error.details[1].fieldViolations[0].reason).toBe('INVALID_HEX_ENCODING');
    const hexAsBase64 = await post(
      '/v1/audienceMembers:ingest',
      mutate((b) => (b.encoding = 'BASE64')),
    );
    expect(hexAsBase64.body.error.details[1].fieldViolations[0].reason).toBe('INVALID_SHA256_FORMAT');
    const broken = await post(
      '/v1/audienceMembers:ingest',
      mutate((b) => {
        b.encoding = 'BASE64';
        b.audienceMembers[0].userData.userIdentifiers[0].emailAddress = '!!not base64!!';
      }),
    );
    expect(broken.body.error.details[1].fieldViolations[0].reason).toBe('INVALID_BASE64_ENCODING');
  });

  it('every ErrorReason the fake can answer is a current (not deprecated) value of error.proto', () => {
    const source = readFileSync(join(__dirname, '../fake/google-fake.ts'), 'utf8');
    const used = new Set([...source.matchAll(/reason: '([A-Z_]+)'/g), ...source.matchAll(/errorInfo\('([A-Z_]+)'/g)].map((m) => m[1]));
    const reasons = specEnum('ErrorReason');
    const current = Object.keys(reasons.values).filter(
      (name) => !(reasons.valuesOptions?.[name] as { deprecated?: boolean } | undefined)?.deprecated,
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((reason) => !current.includes(reason))).toEqual([]);
    expect(current).not.toContain('INVALID_COUNTRY_CODE');
  });

  describe('the login-account rule (credentials that reach the account through a manager)', () => {
    let managed: GoogleFake;
    beforeAll(async () => {
      managed = await startGoogleFake({ accessTokens: [TOKEN], managerAccountId: '42' });
    });
    afterAll(async () => managed.stop());

    const forbidden = (answer: { status: number; body: any }) => {
      expect(answer.status).toBe(403);
      expect(answer.body.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
      expect(answer.body.error.details[0]).toMatchObject({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'PERMISSION_DENIED',
      });
    };

    it('ingest without the destination loginAccount, or naming another manager, is PERMISSION_DENIED', async () => {
      const raw = (path: string, body: unknown) =>
        fetch(`${managed.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
      forbidden(await raw('/v1/audienceMembers:ingest', valid()));
      forbidden(
        await raw(
          '/v1/audienceMembers:ingest',
          mutate((b) => (b.destinations[0].loginAccount = { accountType: 'GOOGLE_ADS', accountId: '7' })),
        ),
      );
      const ok = await raw(
        '/v1/audienceMembers:ingest',
        mutate((b) => (b.destinations[0].loginAccount = { accountType: 'GOOGLE_ADS', accountId: '42' })),
      );
      expect(ok.status).toBe(200);
    });

    it('GetUserList without the login-account header is PERMISSION_DENIED, with it the list', async () => {
      const path = `${managed.url}/v1/accountTypes/GOOGLE_ADS/accounts/1234567890/userLists/555000111`;
      const without = await fetch(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      forbidden({ status: without.status, body: await without.json() });
      const withHeader = await fetch(path, {
        headers: { authorization: `Bearer ${TOKEN}`, 'login-account': 'accountTypes/GOOGLE_ADS/accounts/42' },
      });
      expect(withHeader.status).toBe(200);
      expect(await withHeader.json()).toMatchObject({ membershipDuration: `${540 * 86_400}s` });
    });
  });
});
