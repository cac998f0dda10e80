import { testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { googleAdsConnector, GoogleSecrets, GoogleSettings, googleStatusPolling } from '../index';
import { GoogleFake, startGoogleFake } from '../fake/google-fake';
import { dataManagerRoutes, messageViolations, requestViolations, routeOf } from '../fake/data-manager-spec';
import { google } from './google-test-helpers';

/**
 * Capture and validate: every request type of the connector (testConnection's validateOnly ingest,
 * ingest, the request-status poll, remove, the user list read for the size and for the membership
 * lifespan) is run against the fake with capture on (the fake records every request), and every
 * captured request is validated here against Google's own protos (spec/protos, googleapis commit in
 * spec/SOURCES.json), independently of the fake's own checks; the fake's answers are checked against
 * the RPCs' response messages too.
 */
describe('google-ads: every request the connector sends is valid against the Data Manager protos', () => {
  let fake: GoogleFake;
  const delays = googleStatusPolling.delaysMs;
  beforeAll(async () => {
    googleStatusPolling.delaysMs = [0, 0, 0];
    fake = await startGoogleFake({ accessTokens: ['t'], managerAccountId: '42', processingPolls: 1 });
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
      audience: { externalId: '555000111' },
    });
    await googleAdsConnector.testConnection(ctx);
    const members = [
      ...testMembers(3),
      testMember({ email: 'x@example.com', traits: { first_name: 'Ann', last_name: 'Bee', country_code: 'FR', postal_code: '75001' } }),
    ];
    await google.upsert(ctx, members);
    await google.remove(ctx, members.slice(0, 2));
    await google.audienceSize(ctx);
    await googleAdsConnector.membershipRefreshDays?.(ctx);
  });
  afterAll(async () => {
    googleStatusPolling.delaysMs = delays;
    await fake.stop();
  });

  const captured = () => fake.server.requests.filter((request) => request.path.startsWith('/v1/'));

  it('saw every request type of the connector, each an RPC the protos declare', () => {
    const rpcs = captured().map((request) => routeOf(request.method, request.path)?.rpc ?? `${request.method} ${request.path}`);
    expect(new Set(rpcs)).toEqual(new Set(['IngestAudienceMembers', 'RetrieveRequestStatus', 'RemoveAudienceMembers', 'GetUserList']));
    // testConnection, the upsert; two polls (the first answers PROCESSING); two user list reads.
    expect(rpcs.filter((rpc) => rpc === 'IngestAudienceMembers')).toHaveLength(2);
    expect(rpcs.filter((rpc) => rpc === 'RetrieveRequestStatus')).toHaveLength(2);
    expect(rpcs.filter((rpc) => rpc === 'GetUserList')).toHaveLength(2);
  });

  it('0 violations: every captured request is a valid JSON form of its request message', () => {
    const violations = captured().flatMap((request) =>
      requestViolations(request).map((violation) => `${request.method} ${request.path}: ${violation.field} ${violation.description}`),
    );
    expect(violations).toEqual([]);
  });

  it('the fake answered each with a valid response message', async () => {
    // Re-ask the fake (the recorder keeps requests, not answers) and validate the JSON answers.
    const auth = { authorization: 'Bearer t', 'login-account': 'accountTypes/GOOGLE_ADS/accounts/42' };
    const list = await fetch(`${fake.url}/v1/accountTypes/GOOGLE_ADS/accounts/1234567890/userLists/555000111`, { headers: auth });
    const status = await fetch(`${fake.url}/v1/requestStatus:retrieve?requestId=${fake.requestIds[0]}`, { headers: auth });
    const userList = routeOf('GET', '/v1/accountTypes/GOOGLE_ADS/accounts/1/userLists/2');
    const retrieve = routeOf('GET', '/v1/requestStatus:retrieve');
    expect(userList && retrieve).toBeTruthy();
    if (!userList || !retrieve) return;
    expect(messageViolations(userList.responseType, await list.json(), '')).toEqual([]);
    expect(messageViolations(retrieve.responseType, await status.json(), '')).toEqual([]);
  });

  it('the checker catches what it should (a misspelt field, a bad enum, a double identifier, a missing REQUIRED field)', () => {
    const bad = {
      destinations: [{ operatingAccount: { accountId: '1', accountType: 'GOOGLE' }, productDestinationId: '1' }],
      audienceMembers: [{ userData: { userIdentifiers: [{ emailAddress: 'a', phoneNumber: 'b' }] } }],
      encodng: 'HEX',
    };
    expect(requestViolations({ method: 'POST', path: '/v1/audienceMembers:ingest', query: {}, body: bad }).map((v) => v.field)).toEqual([
      'destinations[0].operating_account.account_type',
      'audience_members[0].user_data.user_identifiers[0]',
      '',
    ]);
    expect(requestViolations({ method: 'POST', path: '/v1/audienceMembers:ingest', query: {}, body: {} }).map((v) => v.reason)).toEqual([
      'REQUIRED_FIELD_MISSING',
      'REQUIRED_FIELD_MISSING',
    ]);
    expect(dataManagerRoutes().length).toBeGreaterThanOrEqual(8);
  });
});
