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
import { GoogleSecrets, googleSecretsSchema, GoogleSettings, googleSettingsSchema } from './google-settings';

/** Data Manager takes at most 10,000 audience members per ingest or remove request. */
export const GOOGLE_MAX_MEMBERS_PER_REQUEST = 10_000;
/** Customer Match drops a member 540 days after its last upload. */
export const GOOGLE_MEMBERSHIP_LIFESPAN_DAYS = 540;
/** Re-upload well before the lifespan ends, leaving weeks for a failed run to be retried. */
export const GOOGLE_REFRESH_AFTER_DAYS = 500;

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
    const { accountType, accountId } = ctx.settings.operatingAccount;
    try {
      const list = await dataManagerGet<{ sizeInfo?: { displayNetworkMembersCount?: string | number } }>(
        ctx,
        `accountTypes/${accountType}/accounts/${accountId}/userLists/${ctx.settings.productDestinationId}`,
      );
      const count = Number(list.sizeInfo?.displayNetworkMembersCount);
      return Number.isFinite(count) && list.sizeInfo?.displayNetworkMembersCount !== undefined ? count : undefined;
    } catch (error) {
      throw error instanceof GoogleApiFailure ? googleError(error) : error;
    }
  },
});

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
  try {
    const { requestId } = await dataManagerPost<{ requestId?: string }>(ctx, method, body);
    ctx.logger.info('google-ads: request accepted', { method, requestId, members: sent.length });
    return [...outcomes, ...sent.map((member) => delivered(member, requestId))];
  } catch (error) {
    if (!(error instanceof GoogleApiFailure)) throw error;
    return [...outcomes, ...attributeFailure(error, sent)];
  }
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
