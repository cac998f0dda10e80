import { sha256Hex } from '@audiencekit/connector-sdk';
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

  it('SUCCESS: delivered with the request id; a status still PROCESSING after the bounded wait stays delivered', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    const ok = await google.upsert(context(), testMembers(2));
    expect(ok).toEqual([
      expect.objectContaining({ status: 'delivered', vendorId: fake.requestIds[0] }),
      expect.objectContaining({ status: 'delivered', vendorId: fake.requestIds[0] }),
    ]);
    await fake.stop();
    fake = await startGoogleFake({ accessTokens: ['t'], processingPolls: 100 });
    const pending = await google.upsert(context(), testMembers(2));
    expect(pending.every((outcome) => outcome.status === 'delivered')).toBe(true);
    expect(fake.server.requestsTo(STATUS)).toHaveLength(googleStatusPolling.delaysMs.length);
  });

  it('removals are not polled', async () => {
    fake = await startGoogleFake({ accessTokens: ['t'] });
    await google.remove(context(), [testMember({ email: 'gone@example.com' })]);
    expect(fake.server.requestsTo(STATUS)).toHaveLength(0);
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
