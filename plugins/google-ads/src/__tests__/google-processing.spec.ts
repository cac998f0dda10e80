import { EligibleMember, InvalidCredentialsError, PendingVendorRequest, sha256Hex } from '@audiencekit/connector-sdk';
import { testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { durationDays, googleAdsConnector, GoogleSecrets, GoogleSettings, googleStatusPolling, refreshAfterDaysFor } from '../index';
import { GoogleFake, startGoogleFake } from '../fake/google-fake';
import { google } from './google-test-helpers';

const SETTINGS = {
  operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
  productDestinationId: '555000111',
  acceptCustomerMatchTerms: true,
};
const STATUS = 'GET /v1/requestStatus:retrieve';

/**
 * Google accepts an ingest, then processes it and may drop records (consent, format), reporting only
 * counts by ProcessingErrorReason through RetrieveRequestStatus. The connector polls that status after
 * each ingest and records the dropped members as rejected with Google's reason, not as delivered.
 */
describe('google-ads: members Google drops while processing are rejections', () => {
  let fake: GoogleFake;
  const delays = googleStatusPolling.delaysMs;
  beforeAll(() => {
    googleStatusPolling.delaysMs = [0, 0, 0, 0];
  });
  afterAll(() => {
    googleStatusPolling.delaysMs = delays;
  });
  afterEach(async () => fake?.stop());

  const context = () =>
    testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
      settings: SETTINGS,
      secrets: { accessToken: 't' },
      baseUrl: fake.url,
      audience: { externalId: '555000111' },
    });

  it('a request that later reports some records failed: exactly those members are rejected with the vendor reason', async () => {
    const members = testMembers(8);
    const noConsent = [members[2], members[5]];
    fake = await startGoogleFake({
      accessTokens: ['t'],
      processingPolls: 2,
      processingFailures: Object.fromEntries(
        noConsent.map((member) => [sha256Hex(String(member.identifiers.email)), 'PROCESSING_ERROR_REASON_NO_CONSENT']),
      ),
    });
    const outcomes = await google.upsert(context(), members);
    const rejectedIds = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.profileId);
    expect(rejectedIds.sort()).toEqual(noConsent.map((member) => member.profileId).sort());
    for (const outcome of outcomes.filter((o) => o.status === 'rejected'))
      expect(outcome).toMatchObject({
        code: 'PROCESSING_ERROR_REASON_NO_CONSENT',
        reason: expect.stringContaining('PROCESSING_ERROR_REASON_NO_CONSENT'),
      });
    expect(outcomes.filter((outcome) => outcome.status === 'delivered')).toHaveLength(6);
    // The first request's status was polled until processed (2 × PROCESSING, then PARTIAL_SUCCESS).
    const first = fake.requestIds[0];
    expect(fake.server.requestsTo(STATUS).filter((request) => request.query.requestId === first)).toHaveLength(3);
    // The dropped members are not in the list; every other one is.
    expect(fake.members.size).toBe(6 * 2);
  });

  it('a request whose every record failed (FAILED): all its members rejected; none delivered', async () => {
    const members = testMembers(3);
    fake = await startGoogleFake({
      accessTokens: ['t'],
      processingFailures: Object.fromEntries(
        members.map((member) => [sha256Hex(String(member.identifiers.email)), 'PROCESSING_ERROR_REASON_INVALID_FORMAT']),
      ),
    });
    const outcomes = await google.upsert(context(), members);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes[0]).toMatchObject({ code: 'PROCESSING_ERROR_REASON_INVALID_FORMAT' });
    expect(fake.requestIds).toHaveLength(1);
  });

  it('SUCCESS: delivered with the request id; a status still PROCESSING after the first look is delivered for now and reported pending', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    const ok = await google.upsert(context(), testMembers(2));
    expect(ok).toEqual([
      expect.objectContaining({ status: 'delivered', vendorId: fake.requestIds[0] }),
      expect.objectContaining({ status: 'delivered', vendorId: fake.requestIds[0] }),
    ]);
    await fake.stop();
    fake = await startGoogleFake({ accessTokens: ['t'], processingPolls: 100 });
    const reported: PendingVendorRequest[] = [];
    const members = testMembers(2);
    const pending = await google.upsert({ ...context(), reportPendingRequest: (request) => reported.push(request) }, members);
    expect(pending.every((outcome) => outcome.status === 'delivered')).toBe(true);
    expect(fake.server.requestsTo(STATUS)).toHaveLength(googleStatusPolling.delaysMs.length);
    expect(reported).toEqual([{ requestId: fake.requestIds[0], profileIds: members.map((member) => member.profileId) }]);
  });

  it('removals are not polled', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    await google.remove(context(), [testMember({ email: 'gone@example.com' })]);
    expect(fake.server.requestsTo(STATUS)).toHaveLength(0);
  });
});

/**
 * Google's documented timing (Diagnostics page): a request is processed some time after the ingest
 * (first check advised after 30 minutes). The fake keeps a request PROCESSING for `processingDelayMs`
 * by its own clock; `upsert` reports it pending and `checkRequests` answers later.
 */
describe('google-ads: checkRequests, the later check of requests left processing', () => {
  let fake: GoogleFake;
  let clock = 0;
  const HALF_HOUR = 30 * 60_000;
  const delays = googleStatusPolling.delaysMs;
  beforeAll(() => {
    googleStatusPolling.delaysMs = [0];
  });
  afterAll(() => {
    googleStatusPolling.delaysMs = delays;
  });
  afterEach(async () => fake?.stop());
  const context = () =>
    testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
      settings: SETTINGS,
      secrets: { accessToken: 't' },
      baseUrl: fake.url,
      audience: { externalId: '555000111' },
    });
  const check = (requests: PendingVendorRequest[]) => googleAdsConnector.checkRequests?.(context(), requests);

  async function uploadPending(members: EligibleMember[], failures: Record<string, string>): Promise<PendingVendorRequest[]> {
    clock = 1_000_000;
    fake = await startGoogleFake({
      accessTokens: ['t'],
      processingDelayMs: HALF_HOUR,
      now: () => clock,
      processingFailures: Object.fromEntries(Object.entries(failures).map(([email, reason]) => [sha256Hex(email), reason])),
    });
    const reported: PendingVendorRequest[] = [];
    const outcomes = await google.upsert({ ...context(), reportPendingRequest: (request) => reported.push(request) }, members);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(members.map(() => 'delivered'));
    return reported;
  }

  it('FAILED after the delay: every member of the request rejected with the reason; before it, processing', async () => {
    const members = testMembers(3);
    const pending = await uploadPending(
      members,
      Object.fromEntries(members.map((member) => [String(member.identifiers.email), 'PROCESSING_ERROR_REASON_NO_CONSENT'])),
    );
    expect(pending).toHaveLength(1);
    clock += HALF_HOUR - 1;
    await expect(check(pending)).resolves.toEqual([{ requestId: pending[0].requestId, state: 'processing' }]);
    clock += 1;
    const [answer] = (await check(pending)) ?? [];
    expect(answer).toMatchObject({ requestId: pending[0].requestId, state: 'processed' });
    const rejected = answer.state === 'processed' ? answer.rejected : [];
    expect(rejected.map((rejection) => rejection.profileId)).toEqual(members.map((member) => member.profileId));
    expect(rejected[0]).toMatchObject({ code: 'PROCESSING_ERROR_REASON_NO_CONSENT', reason: expect.stringContaining('×3') });
  });

  it('SUCCESS: processed, nobody rejected; PARTIAL_SUCCESS: the dropped count unattributed', async () => {
    const members = testMembers(4);
    const ok = await uploadPending(members.slice(0, 2), {});
    clock += HALF_HOUR;
    await expect(check(ok)).resolves.toEqual([{ requestId: ok[0].requestId, state: 'processed', rejected: [] }]);
    await fake.stop();
    const partial = await uploadPending(members, { [String(members[1].identifiers.email)]: 'PROCESSING_ERROR_REASON_INVALID_FORMAT' });
    clock += HALF_HOUR;
    await expect(check(partial)).resolves.toEqual([
      {
        requestId: partial[0].requestId,
        state: 'processed',
        rejected: [],
        unattributed: { count: 1, reason: 'PROCESSING_ERROR_REASON_INVALID_FORMAT ×1' },
      },
    ]);
  });

  it('an unknown request id is left out (asked again later); a revoked token throws InvalidCredentialsError', async () => {
    const pending = await uploadPending(testMembers(1), {});
    await expect(check([{ requestId: 'not-a-request', profileIds: [] }])).resolves.toEqual([]);
    await expect(
      googleAdsConnector.checkRequests?.(
        testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
          settings: SETTINGS,
          secrets: { accessToken: 'revoked' },
          baseUrl: fake.url,
        }),
        pending,
      ),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
  });
});

describe("google-ads: the user list's own membership duration, not 540 days", () => {
  let fake: GoogleFake;
  afterEach(async () => fake.stop());
  const context = () =>
    testContext<GoogleSettings, GoogleSecrets>(googleAdsConnector, {
      settings: SETTINGS,
      secrets: { accessToken: 't' },
      baseUrl: fake.url,
      audience: { externalId: '555000111' },
    });

  it('a 30-day list: members are uploaded again after 27 days', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'], membershipDurationDays: 30 });
    await expect(googleAdsConnector.membershipRefreshDays?.(context())).resolves.toBe(27);
    expect(fake.server.requestsTo('GET /v1/accountTypes/:type/accounts/:account/userLists/:list')).toHaveLength(1);
  });

  it('a list at the 540-day default: after 500 days, as the static limit says', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    await expect(googleAdsConnector.membershipRefreshDays?.(context())).resolves.toBe(500);
    expect(googleAdsConnector.limits.refreshMembershipAfterDays).toBe(500);
  });

  it('reads proto3 JSON Durations', () => {
    expect(durationDays('2592000s')).toBe(30);
    expect(durationDays('46656000.5s')).toBe(540);
    expect(durationDays('30d')).toBeUndefined();
    expect(refreshAfterDaysFor(1)).toBe(1);
  });
});
