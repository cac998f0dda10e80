import {
  ConnectorContext,
  defineConnector,
  delivered,
  EligibleMember,
  PayloadValidationError,
  RecordOutcome,
  rejected,
  retryable,
  sha256Hex,
} from '@audiencekit/connector-sdk';
import { dataManagerGet, dataManagerPost, GoogleApiFailure, googleError, memberViolations } from './google-client';
import { userIdentifiers, UserIdentifier } from './google-hashing';
import { awaitRequestStatus, checkPendingRequests, countsText, googleStatusPolling, mainReason } from './google-request-status';
import { GoogleSecrets, googleSecretsSchema, GoogleSettings, googleSettingsSchema } from './google-settings';

/** Data Manager takes at most 10,000 audience members per ingest or remove request. */
export const GOOGLE_MAX_MEMBERS_PER_REQUEST = 10_000;
/** Customer Match drops a member 540 days after its last upload (the maximum, and a list's default `membershipDuration`). */
export const GOOGLE_MEMBERSHIP_LIFESPAN_DAYS = 540;
/** Re-upload well before the lifespan ends, leaving weeks for a failed run to be retried (for a 540-day list). */
export const GOOGLE_REFRESH_AFTER_DAYS = 500;

/** Re-upload after the same share of a list's own lifespan as 500 of 540 days (a 30-day list: after 27 days). */
export const refreshAfterDaysFor = (lifespanDays: number): number =>
  Math.max(1, Math.floor((lifespanDays * GOOGLE_REFRESH_AFTER_DAYS) / GOOGLE_MEMBERSHIP_LIFESPAN_DAYS));

/** UserList (user_list.proto), the fields read here; `membershipDuration` a proto3 JSON Duration (`"2592000s"`). */
interface UserListResource {
  membershipDuration?: string;
  sizeInfo?: { displayNetworkMembersCount?: string | number };
}

/** Whole days of a proto3 JSON Duration (`"2592000s"` → 30), undefined when absent or malformed. */
export function durationDays(duration: string | undefined): number | undefined {
  const match = /^(\d+)(\.\d+)?s$/.exec(duration ?? '');
  return match ? Math.floor(Number(match[1]) / 86_400) : undefined;
}

type GoogleContext = Omit<ConnectorContext<GoogleSettings, GoogleSecrets>, 'audience'>;

interface AudienceMemberBody {
  userData: { userIdentifiers: UserIdentifier[] };
}

/**
 * Google Customer Match through the Data Manager API (`audienceMembers:ingest` / `:remove`), where
 * Google sends new adopters since April 2026 instead of the Google Ads API's offline user data jobs.
 */
export const googleAdsConnector = defineConnector<GoogleSettings, GoogleSecrets>({
  slug: 'google-ads',
  displayName: 'Google Ads (Customer Match, Data Manager API)',
  channel: 'ads',
  deliveryModel: 'list',
  settings: googleSettingsSchema,
  secrets: googleSecretsSchema,
  requiredIdentifiers: ['email', 'phone'],
  // 300 mutate requests a minute per Cloud project (Data Manager "Limits and quotas"): 5 a second.
  limits: {
    maxBatchSize: GOOGLE_MAX_MEMBERS_PER_REQUEST,
    maxRequestsPerSecond: 5,
    maxConcurrency: 1,
    refreshMembershipAfterDays: GOOGLE_REFRESH_AFTER_DAYS,
  },
  // The quota is the Cloud project's, shared by every destination whose OAuth client belongs to it:
  // the core enforces it across destinations and worker processes (issue #22). An access token
  // alone names no project: then each destination's own limit is all the core knows.
  quota: (_settings, secrets) => ('clientId' in secrets ? { key: secrets.clientId, maxRequestsPerSecond: 5 } : undefined),

  async testConnection(ctx) {
    // validateOnly: Google checks the token, the destination and the request, and ingests nothing.
    // The one member is a hash of a reserved (.invalid) address, so no one's data is involved.
    const probe: AudienceMemberBody = {
      userData: { userIdentifiers: [{ emailAddress: sha256Hex('connection-test@audiencekit.invalid') }] },
    };
    try {
      await dataManagerPost(ctx, 'audienceMembers:ingest', { ...ingestBody(ctx, [probe]), validateOnly: true });
    } catch (error) {
      throw error instanceof GoogleApiFailure ? googleError(error) : error;
    }
  },

  // The user list is made in Google Ads (or its API); the connector writes to the id in the settings.
  async ensureAudience(ctx) {
    return { externalId: ctx.settings.productDestinationId };
  },

  upsert: (ctx, members) => sendMembers(ctx, 'audienceMembers:ingest', members),
  remove: (ctx, members) => sendMembers(ctx, 'audienceMembers:remove', members),

  // UserList.sizeInfo (user_list.proto): Google's estimate on the Display Network, the larger reach of a Customer Match list.
  async audienceSize(ctx) {
    const list = await readUserList(ctx);
    const count = Number(list.sizeInfo?.displayNetworkMembersCount);
    return Number.isFinite(count) && list.sizeInfo?.displayNetworkMembersCount !== undefined ? count : undefined;
  },

  // The list's own `membershipDuration` (UserList, user_list.proto), not the 540-day maximum: a list
  // made with 30 days drops members after 30, so they are uploaded again after 27.
  async membershipRefreshDays(ctx) {
    const days = durationDays((await readUserList(ctx)).membershipDuration);
    return refreshAfterDaysFor(
      days !== undefined && days >= 1 ? Math.min(days, GOOGLE_MEMBERSHIP_LIFESPAN_DAYS) : GOOGLE_MEMBERSHIP_LIFESPAN_DAYS,
    );
  },

  // Requests the first look of `upsert` left PROCESSING, asked again by the core's periodic pass
  // (Google's Diagnostics page: first check 30 minutes after the ingest, then with backoff).
  checkRequests: (ctx, requests) => checkPendingRequests(ctx, requests),
});

/** GetUserList of the destination's list; failures as the closed error set. */
async function readUserList(ctx: GoogleContext): Promise<UserListResource> {
  const { accountType, accountId } = ctx.settings.operatingAccount;
  try {
    return await dataManagerGet<UserListResource>(
      ctx,
      `accountTypes/${accountType}/accounts/${accountId}/userLists/${ctx.settings.productDestinationId}`,
    );
  } catch (error) {
    throw error instanceof GoogleApiFailure ? googleError(error) : error;
  }
}

function destination(settings: GoogleSettings) {
  return {
    operatingAccount: settings.operatingAccount,
    ...(settings.loginAccount ? { loginAccount: settings.loginAccount } : {}),
    productDestinationId: settings.productDestinationId,
  };
}

function ingestBody(ctx: GoogleContext, audienceMembers: AudienceMemberBody[]) {
  const { settings } = ctx;
  return {
    destinations: [destination(settings)],
    audienceMembers,
    consent: settings.consent,
    encoding: 'HEX',
    ...(settings.acceptCustomerMatchTerms ? { termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' } } : {}),
  };
}

/** `RemoveAudienceMembersRequest` has no consent and no terms (ingestion_service.proto). */
const removeBody = (ctx: GoogleContext, audienceMembers: AudienceMemberBody[]) => ({
  destinations: [destination(ctx.settings)],
  audienceMembers,
  encoding: 'HEX',
});

/** Adds or removes one batch: members without a usable identifier are rejected here and never sent. */
async function sendMembers(
  ctx: GoogleContext,
  method: 'audienceMembers:ingest' | 'audienceMembers:remove',
  members: readonly EligibleMember[],
): Promise<RecordOutcome[]> {
  if (members.length > GOOGLE_MAX_MEMBERS_PER_REQUEST) {
    throw new PayloadValidationError(
      `Google takes at most ${GOOGLE_MAX_MEMBERS_PER_REQUEST} audience members a request (got ${members.length})`,
      'TOO_MANY_AUDIENCE_MEMBERS',
    );
  }
  const outcomes: RecordOutcome[] = [];
  const sent: EligibleMember[] = [];
  const bodies: AudienceMemberBody[] = [];
  for (const member of members) {
    const identifiers = userIdentifiers(member, ctx.settings.addressTraits);
    if (identifiers.length === 0)
      outcomes.push(rejected(member, 'no e-mail, phone or full address to match on', 'NO_IDENTIFIERS_PROVIDED'));
    else {
      sent.push(member);
      bodies.push({ userData: { userIdentifiers: identifiers } });
    }
  }
  if (sent.length === 0) return outcomes;
  const body = method === 'audienceMembers:ingest' ? ingestBody(ctx, bodies) : removeBody(ctx, bodies);
  let requestId: string | undefined;
  try {
    ({ requestId } = await dataManagerPost<{ requestId?: string }>(ctx, method, body));
    ctx.logger.info('google-ads: request accepted', { method, requestId, members: sent.length });
  } catch (error) {
    if (!(error instanceof GoogleApiFailure)) throw error;
    return [...outcomes, ...attributeFailure(error, sent)];
  }
  // Removals are not verified: a member Google failed to remove is not one we would reach anyway.
  if (method === 'audienceMembers:remove' || !requestId) return [...outcomes, ...sent.map((member) => delivered(member, requestId))];
  return [
    ...outcomes,
    ...(await verifyIngest(ctx, sent, bodies, requestId, {
      extraRequests: GOOGLE_MAX_ATTRIBUTION_REQUESTS,
      deadline: Date.now() + googleStatusPolling.budgetMs,
    })),
  ];
}

/** Most extra ingest requests one batch may spend finding which members Google dropped in processing. */
export const GOOGLE_MAX_ATTRIBUTION_REQUESTS = 16;

/**
 * An accepted ingest is not yet a delivery: Google processes it afterwards and may drop records
 * (consent, format), reporting only counts by `ProcessingErrorReason` (RetrieveRequestStatus). So the
 * request's status gets a short first look (`googleStatusPolling`); still PROCESSING → delivered for
 * now and reported pending (`ctx.reportPendingRequest`) for the core's later `checkRequests`; SUCCESS → delivered; every record
 * dropped (FAILED) → each member rejected with Google's reason; PARTIAL_SUCCESS → the counts name no
 * member, so the batch is split in halves and each half ingested again (idempotent: an ingest of a
 * present member only renews it) and verified the same way, within `extraRequests` and the time
 * budget; a group left mixed when the budget runs out stays delivered and is logged.
 */
async function verifyIngest(
  ctx: GoogleContext,
  sent: EligibleMember[],
  bodies: AudienceMemberBody[],
  requestId: string,
  budget: { extraRequests: number; deadline: number },
): Promise<RecordOutcome[]> {
  const status = await awaitRequestStatus(ctx, requestId, budget.deadline);
  if (!status) {
    // Not processed within the first look (the usual case against the real API): accepted, so
    // delivered for now; the core checks the request later and rejects the members Google dropped.
    ctx.reportPendingRequest?.({ requestId, profileIds: sent.map((member) => member.profileId) });
    ctx.logger.info('google-ads: request still processing; left for the later check', { requestId, members: sent.length });
    return sent.map((member) => delivered(member, requestId));
  }
  if (status.status === 'SUCCESS' || status.failed === 0) return sent.map((member) => delivered(member, requestId));
  const reason = mainReason(status);
  if (status.status === 'FAILED' || status.failed >= sent.length) {
    const counts = countsText(status);
    return sent.map((member) => rejected(member, `Google dropped the member while processing request ${requestId}: ${counts}`, reason));
  }
  if (budget.extraRequests < 2 || Date.now() >= budget.deadline) {
    ctx.logger.warn('google-ads: members dropped in processing cannot be told apart; the group counts as delivered', {
      requestId,
      members: sent.length,
      dropped: status.failed,
      reason,
    });
    return sent.map((member) => delivered(member, requestId));
  }
  budget.extraRequests -= 2;
  const half = Math.ceil(sent.length / 2);
  const outcomes: RecordOutcome[] = [];
  for (const [from, to] of [
    [0, half],
    [half, sent.length],
  ]) {
    const group = sent.slice(from, to);
    const groupBodies = bodies.slice(from, to);
    let groupRequestId: string | undefined;
    try {
      ({ requestId: groupRequestId } = await dataManagerPost<{ requestId?: string }>(
        ctx,
        'audienceMembers:ingest',
        ingestBody(ctx, groupBodies),
      ));
    } catch (error) {
      // The members were accepted by the first request; only their attribution failed.
      ctx.logger.warn('google-ads: attribution request failed; the group counts as delivered', {
        requestId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    outcomes.push(
      ...(groupRequestId
        ? await verifyIngest(ctx, group, groupBodies, groupRequestId, budget)
        : group.map((member) => delivered(member, requestId))),
    );
  }
  return outcomes;
}

/**
 * Google fails a request as a whole. When its field violations name members, those are rejected and
 * the others are retryable (nothing of the request was applied); otherwise the whole batch fails.
 */
function attributeFailure(failure: GoogleApiFailure, sent: EligibleMember[]): RecordOutcome[] {
  const violations = failure.status === 400 ? memberViolations(failure.body) : new Map<number, string>();
  if (violations.size === 0) throw googleError(failure);
  return sent.map((member, index) => {
    const reason = violations.get(index);
    return reason === undefined
      ? retryable(member, 'not applied: another member of the request was invalid', 0)
      : rejected(member, `Google refused the member: ${reason}`, reason);
  });
}
