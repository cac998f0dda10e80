import { testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { googleAdsConnector, GoogleSecrets, GoogleSettings } from '../index';
import { GoogleFake, startGoogleFake } from '../fake/google-fake';
import { google } from './google-test-helpers';
import spec from './fixtures/data-manager-spec-fragment.json';

type Field = { type: string; repeated?: boolean; required?: boolean };
const messages = spec.messages as Record<string, Record<string, Field>>;
const enums = spec.enums as Record<string, string[]>;
const oneofs = spec.oneofs as Record<string, string[]>;

/** Every way a JSON value breaks the proto fragment, as `path: problem` lines. */
function problems(value: unknown, type: string, path: string): string[] {
  if (enums[type])
    return typeof value === 'string' && enums[type].includes(value) ? [] : [`${path}: ${JSON.stringify(value)} is not a ${type}`];
  if (type === 'string') return typeof value === 'string' ? [] : [`${path}: not a string`];
  if (type === 'bool') return typeof value === 'boolean' ? [] : [`${path}: not a bool`];
  if (type === 'object') return [];
  const fields = messages[type];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not a ${type} object`];
  const record = value as Record<string, unknown>;
  const found = Object.keys(record).flatMap((key) => {
    const field = fields[key];
    if (!field) return [`${path}.${key}: no such field in ${type}`];
    if (!field.repeated) return problems(record[key], field.type, `${path}.${key}`);
    if (!Array.isArray(record[key])) return [`${path}.${key}: not repeated`];
    return (record[key] as unknown[]).flatMap((item, index) => problems(item, field.type, `${path}.${key}[${index}]`));
  });
  const missing = Object.entries(fields)
    .filter(([key, field]) => field.required && record[key] === undefined)
    .map(([key]) => `${path}.${key}: required`);
  const oneof = oneofs[type];
  const setInOneof = oneof ? oneof.filter((key) => record[key] !== undefined).length : 1;
  const oneofProblem = type === 'UserIdentifier' && setInOneof !== 1 ? [`${path}: exactly one of ${oneof.join(', ')}`] : [];
  return [...found, ...missing, ...oneofProblem];
}

// The connector's requests checked against Google's own protos (field names, enums, required fields,
// the identifier oneof), not only against our reading of the guides.
describe('google-ads requests match the Data Manager proto fragment', () => {
  let fake: GoogleFake;
  beforeAll(async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    const settings = {
      operatingAccount: { accountId: '1234567890' },
      loginAccount: { accountType: 'GOOGLE_ADS', accountId: '42' },
      productDestinationId: '555000111',
      acceptCustomerMatchTerms: true,
    };
    const ctx = testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
      settings,
      secrets: { accessToken: 't' },
      baseUrl: fake.url,
    });
    await googleAdsConnector.testConnection(ctx);
    const members = [
      ...testMembers(3),
      testMember({ email: 'x@example.com', traits: { first_name: 'Ann', last_name: 'Bee', country_code: 'FR', postal_code: '75001' } }),
    ];
    await google.upsert(ctx, members);
    await google.remove(ctx, members.slice(0, 2));
  });
  afterAll(async () => fake.stop());

  it('uses only the routes the protos declare', () => {
    const routes = Object.keys(spec.routes);
    expect(fake.server.requests.map((request) => `${request.method} ${request.path}`).filter((route) => !routes.includes(route))).toEqual(
      [],
    );
    expect(new Set(fake.server.requests.map((request) => `${request.method} ${request.path}`))).toEqual(new Set(routes));
  });

  it('every request body is a valid message of its route', () => {
    for (const request of fake.server.requests) {
      const type = spec.routes[`${request.method} ${request.path}` as keyof typeof spec.routes];
      expect(problems(request.body, type, type)).toEqual([]);
    }
  });

  it('the checker itself catches a misspelt field, a bad enum and a double identifier', () => {
    const bad = {
      destinations: [{ operatingAccount: { accountId: '1', accountType: 'GOOGLE' }, productDestinationId: '1' }],
      audienceMembers: [{ userData: { userIdentifiers: [{ emailAddress: 'a', phoneNumber: 'b' }] } }],
      encodng: 'HEX',
    };
    expect(problems(bad, 'IngestAudienceMembersRequest', 'r')).toEqual([
      'r.destinations[0].operatingAccount.accountType: "GOOGLE" is not a AccountType',
      'r.audienceMembers[0].userData.userIdentifiers[0]: exactly one of emailAddress, phoneNumber, address',
      'r.encodng: no such field in IngestAudienceMembersRequest',
    ]);
  });
});
