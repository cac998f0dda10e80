import { randomUUID } from 'node:crypto';
import { FakeResponse, FakeVendorServer, RecordedRequest, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { requestViolations } from './data-manager-spec';

/**
 * A fake of the Data Manager API's IngestionService audience methods (`POST /v1/audienceMembers:ingest`
 * and `:remove`, google/ads/datamanager/v1/ingestion_service.proto), GetUserList (`GET /v1/accountTypes/{type}/
 * accounts/{account}/userLists/{id}`, user_list.proto) and Google's OAuth token
 * endpoint (`POST /token`, refresh-token grant). It validates requests the way the API documents:
 * fast-fail (one invalid member fails the whole request, nothing applied), `google.rpc.Status` error
 * bodies with ErrorInfo and BadRequest field violations, at most 10,000 members and 10 identifiers a
 * member, HEX encoding, SHA-256 hashes, Customer Match terms required for ingest, 429
 * RESOURCE_EXHAUSTED past a per-minute request quota.
 *
 * Every request is first validated against Google's own protos (`spec/protos`, see
 * `data-manager-spec.ts`): an unknown JSON field, a wrong type or enum, or a missing REQUIRED field is
 * refused with 400 INVALID_ARGUMENT, a BadRequest naming the field and an ErrorInfo reason from
 * error.proto's `ErrorReason`, as the API's JSON parser and validation do. Hashes are checked in the
 * request's `encoding` (HEX or BASE64). Ingest answers a `requestId` whose processing is modelled:
 * `RetrieveRequestStatus` (`GET /v1/requestStatus:retrieve`) reports PROCESSING for
 * `processingPolls` polls and until `processingDelayMs` has passed by the fake's clock (`now`), then SUCCESS, or PARTIAL_SUCCESS / FAILED with ErrorInfo counts by
 * `ProcessingErrorReason` when members hashed in `processingFailures` were dropped after the request
 * was accepted (consent, format): those never join the list.
 */
export interface GoogleFakeOptions {
  port?: number;
  /** Access tokens accepted as they are (default `fake-google-token`). */
  accessTokens?: Iterable<string>;
  /** The refresh-token client the token endpoint knows; tokens it mints are accepted too. */
  oauthClient?: { clientId: string; clientSecret: string; refreshToken: string };
  /** The operating account the credentials may write to (default `1234567890`). */
  operatingAccountId?: string;
  /**
   * The manager account through which the credentials reach the operating account (none: they reach
   * it directly). When set, GetUserList needs the `login-account` header naming it and ingest/remove a
   * destination `loginAccount` naming it; without them Google answers PERMISSION_DENIED.
   */
  managerAccountId?: string;
  /** The Customer Match user list (default `555000111`). */
  userListId?: string;
  /** Identifier hashes refused as INVALID_AUDIENCE_MEMBER (to script a partial failure). */
  invalidHashes?: Iterable<string>;
  /** Ingest/remove requests allowed per wall-clock minute before 429 (default: unlimited). */
  requestsPerMinute?: number;
  /**
   * Identifier hashes (lower-case hex) accepted by ingest but dropped while Google processes the
   * request, each with its `ProcessingErrorReason` (e.g. `PROCESSING_ERROR_REASON_NO_CONSENT`): the
   * member never joins the list and the request's status counts it in `errorInfo`.
   */
  processingFailures?: Record<string, string>;
  /** How many RetrieveRequestStatus polls of a request answer PROCESSING before its final status (default 0). */
  processingPolls?: number;
  /**
   * How long after the ingest a request stays PROCESSING, by `now` (default 0: processed at once).
   * Google's Diagnostics page advises a first RetrieveRequestStatus 30 minutes after an ingest; a test
   * sets e.g. 30 minutes here and moves `now` to model that timing.
   */
  processingDelayMs?: number;
  /** The fake's clock in ms (default `Date.now`): tests move it to pass `processingDelayMs`. */
  now?: () => number;
  /** The user list's `membershipDuration` in days (default 540, Customer Match's maximum). */
  membershipDurationDays?: number;
  random?: () => number;
}

/** What RetrieveRequestStatus reports for one request (request_status_per_destination.proto). */
export interface FakeRequestStatus {
  mode: 'ingest' | 'remove';
  destinations: unknown[];
  recordCount: number;
  identifierCount: number;
  /** Dropped records by ProcessingErrorReason. */
  errorCounts: Map<string, number>;
  pollsLeft: number;
  /** By the fake's clock, when the request stops answering PROCESSING. */
  processedAt: number;
}

export interface GoogleFake {
  server: FakeVendorServer;
  readonly url: string;
  /** Member keys in the user list: `email:<hash>`, `phone:<hash>`, `address:<given>|<family>|<RC>|<postal>`. */
  members: Set<string>;
  /** Request ids answered, in order. */
  requestIds: string[];
  /** The processing status of each answered request, by request id. */
  requestStatuses: Map<string, FakeRequestStatus>;
  /** `processingFailures` as the fake uses it (hash → reason): tests may add members to drop later. */
  processingFailures: Map<string, string>;
  stop(): Promise<void>;
}

export const GOOGLE_FAKE_MAX_MEMBERS = 10_000;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const IDENTIFIER_FIELDS = ['emailAddress', 'phoneNumber', 'address'];

interface Violation {
  field: string;
  description: string;
  reason: string;
}

export async function startGoogleFake(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const tokens = new Set(options.accessTokens ?? ['fake-google-token']);
  const operatingAccountId = options.operatingAccountId ?? '1234567890';
  const userListId = options.userListId ?? '555000111';
  const managerLogin = options.managerAccountId ? `accountTypes/GOOGLE_ADS/accounts/${options.managerAccountId}` : undefined;
  const invalidHashes = new Set(options.invalidHashes ?? []);
  const members = new Set<string>();
  const requestIds: string[] = [];
  const requestStatuses = new Map<string, FakeRequestStatus>();
  const clock = options.now ?? Date.now;
  const processingFailures = new Map(
    Object.entries(options.processingFailures ?? {}).map(([hash, reason]) => [hash.toLowerCase(), reason]),
  );
  const minuteCounts = new Map<number, number>();

  const audienceMethod =
    (mode: 'ingest' | 'remove') =>
    (request: RecordedRequest): FakeResponse => {
      const header = request.headers.authorization;
      const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!token || !tokens.has(token))
        return status(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      if (options.requestsPerMinute !== undefined) {
        const minute = Math.floor(Date.now() / 60_000);
        const count = (minuteCounts.get(minute) ?? 0) + 1;
        minuteCounts.set(minute, count);
        if (count > options.requestsPerMinute) {
          return status(429, 'RESOURCE_EXHAUSTED', 'Too many requests.', [
            errorInfo('RESOURCE_EXHAUSTED', { quota_limit: 'IngestionMutateRequestsPerMinutePerProject' }),
          ]);
        }
      }
      const invalidJson = specRefusal(request);
      if (invalidJson) return invalidJson;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const destinations = Array.isArray(body.destinations) ? (body.destinations as Record<string, unknown>[]) : [];
      if (destinations.length === 0)
        return badRequest([{ field: 'destinations', description: 'Required field is missing.', reason: 'REQUIRED_FIELD_MISSING' }]);
      if (destinations.length > 10)
        return badRequest([{ field: 'destinations', description: 'At most 10 destinations.', reason: 'TOO_MANY_DESTINATIONS' }]);
      for (const [index, destination] of destinations.entries()) {
        const operating = destination.operatingAccount as { accountId?: string; accountType?: string } | undefined;
        if (!operating?.accountId || !operating.accountType) {
          return badRequest([
            {
              field: `destinations[${index}].operating_account`,
              description: 'Required field is missing.',
              reason: 'REQUIRED_FIELD_MISSING',
            },
          ]);
        }
        const login = destination.loginAccount as { accountId?: string } | undefined;
        if (operating.accountId !== operatingAccountId || (options.managerAccountId && login?.accountId !== options.managerAccountId))
          return status(403, 'PERMISSION_DENIED', 'The caller does not have permission', [errorInfo('PERMISSION_DENIED')]);
        if (destination.productDestinationId !== userListId) {
          return badRequest([
            {
              field: `destinations[${index}].product_destination_id`,
              description: 'User list is not valid.',
              reason: 'INVALID_USER_LIST_ID',
            },
          ]);
        }
      }
      const list = Array.isArray(body.audienceMembers) ? (body.audienceMembers as unknown[]) : [];
      if (list.length === 0)
        return badRequest([{ field: 'audience_members', description: 'Required field is missing.', reason: 'REQUIRED_FIELD_MISSING' }]);
      if (list.length > GOOGLE_FAKE_MAX_MEMBERS) {
        return badRequest([
          {
            field: 'audience_members',
            description: 'Maximum number of audience members allowed per request is 10,000.',
            reason: 'TOO_MANY_AUDIENCE_MEMBERS',
          },
        ]);
      }
      if (body.encoding !== 'HEX' && body.encoding !== 'BASE64')
        return badRequest([{ field: 'encoding', description: 'Required for UserData uploads.', reason: 'REQUIRED_FIELD_MISSING' }]);
      if (
        mode === 'ingest' &&
        (body.termsOfService as { customerMatchTermsOfServiceStatus?: string } | undefined)?.customerMatchTermsOfServiceStatus !==
          'ACCEPTED'
      ) {
        return badRequest([
          {
            field: 'terms_of_service',
            description: 'Required terms and conditions are not accepted.',
            reason: 'TERMS_AND_CONDITIONS_NOT_SIGNED',
          },
        ]);
      }
      const encoding = body.encoding === 'BASE64' ? 'BASE64' : 'HEX';
      const memberKeys: string[][] = [];
      const violations = list.flatMap((member, index) => {
        const keys: string[] = [];
        memberKeys.push(keys);
        return memberProblems(member, index, invalidHashes, keys, encoding);
      });
      if (violations.length > 0) return badRequest(violations);
      if (body.validateOnly === true) return { status: 200, body: {} };
      const errorCounts = new Map<string, number>();
      for (const keys of memberKeys) {
        // A member dropped in processing (ingest only): none of its identifiers joins the list.
        const dropped = mode === 'ingest' ? keys.map((key) => processingFailures.get(key.split(':')[1])).find(Boolean) : undefined;
        if (dropped) {
          errorCounts.set(dropped, (errorCounts.get(dropped) ?? 0) + 1);
          continue;
        }
        for (const key of keys) {
          if (mode === 'ingest') members.add(key);
          else members.delete(key);
        }
      }
      const requestId = randomUUID();
      requestIds.push(requestId);
      requestStatuses.set(requestId, {
        mode,
        destinations,
        recordCount: list.length,
        identifierCount: memberKeys.reduce((sum, keys) => sum + keys.length, 0),
        errorCounts,
        pollsLeft: options.processingPolls ?? 0,
        processedAt: clock() + (options.processingDelayMs ?? 0),
      });
      return { status: 200, body: { requestId } };
    };

  const token = (request: RecordedRequest): FakeResponse => {
    const form = (request.body ?? {}) as Record<string, string>;
    const client = options.oauthClient;
    if (form.grant_type !== 'refresh_token')
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    if (!client || form.client_id !== client.clientId || form.client_secret !== client.clientSecret)
      return { status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } };
    if (form.refresh_token !== client.refreshToken)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Bad Request' } };
    const accessToken = `ya29.fake-${randomUUID()}`;
    tokens.add(accessToken);
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: 3599, scope: 'https://www.googleapis.com/auth/datamanager', token_type: 'Bearer' },
    };
  };

  // GetUserList: the list with its size estimate (int64 as a JSON string, as proto3 JSON gives it).
  const userList = (request: RecordedRequest): FakeResponse => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !tokens.has(header.replace(/^Bearer /, '')))
      return status(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const invalidJson = specRefusal(request);
    if (invalidJson) return invalidJson;
    const { type, account, list } = request.params;
    if (account !== operatingAccountId || (managerLogin && request.headers['login-account'] !== managerLogin))
      return status(403, 'PERMISSION_DENIED', 'The caller does not have permission', [errorInfo('PERMISSION_DENIED')]);
    if (list !== userListId) return status(404, 'NOT_FOUND', 'User list not found.', [errorInfo('NOT_FOUND')]);
    const size = String(members.size);
    return {
      status: 200,
      body: {
        name: `accountTypes/${type}/accounts/${account}/userLists/${list}`,
        id: list,
        displayName: 'Fake Customer Match list',
        membershipStatus: 'OPEN',
        membershipDuration: `${(options.membershipDurationDays ?? 540) * 86_400}s`,
        accessReason: 'OWNED',
        sizeInfo: { displayNetworkMembersCount: size, searchNetworkMembersCount: size },
        ingestedUserListInfo: { uploadKeyTypes: ['CONTACT_ID'] },
      },
    };
  };

  // RetrieveRequestStatus: PROCESSING for the first `processingPolls` polls and until `processingDelayMs`
  // has passed, then the final status.
  const retrieveStatus = (request: RecordedRequest): FakeResponse => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !tokens.has(header.replace(/^Bearer /, '')))
      return status(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const invalidJson = specRefusal(request);
    if (invalidJson) return invalidJson;
    const requestId = request.query.requestId ?? request.query.request_id;
    const found = requestStatuses.get(requestId);
    if (!found) return badRequest([{ field: 'request_id', description: 'The request ID is not valid.', reason: 'INVALID_REQUEST_ID' }]);
    return {
      status: 200,
      body: { requestStatusPerDestination: found.destinations.map((destination) => statusOf(found, destination, clock())) },
    };
  };

  const server = await startFakeVendor({
    port: options.port,
    random: options.random,
    routes: {
      'POST /v1/audienceMembers:ingest': audienceMethod('ingest'),
      'POST /v1/audienceMembers:remove': audienceMethod('remove'),
      'POST /token': token,
      'GET /v1/accountTypes/:type/accounts/:account/userLists/:list': userList,
      'GET /v1/requestStatus:retrieve': retrieveStatus,
    },
  });
  return {
    server,
    get url() {
      return server.url;
    },
    members,
    requestIds,
    requestStatuses,
    processingFailures,
    stop: () => server.stop(),
  };
}

/** Violations of one `AudienceMember`; the keys of its identifiers are pushed for when the request is applied. */
function memberProblems(
  member: unknown,
  index: number,
  invalidHashes: Set<string>,
  keys: string[],
  encoding: 'HEX' | 'BASE64',
): Violation[] {
  const at = `audience_members.audience_members[${index}]`;
  const identifiers = (member as { userData?: { userIdentifiers?: unknown } } | undefined)?.userData?.userIdentifiers;
  if (!Array.isArray(identifiers) || identifiers.length === 0)
    return [{ field: `${at}.user_data.user_identifiers`, description: 'Required field is missing.', reason: 'REQUIRED_FIELD_MISSING' }];
  if (identifiers.length > 10)
    return [
      { field: `${at}.user_data.user_identifiers`, description: 'At most 10 user identifiers.', reason: 'TOO_MANY_USER_IDENTIFIERS' },
    ];
  const problems: Violation[] = [];
  for (const identifier of identifiers as Record<string, unknown>[]) {
    const set = IDENTIFIER_FIELDS.filter((field) => identifier[field] !== undefined);
    if (set.length !== 1) {
      problems.push({
        field: `${at}.user_data.user_identifiers`,
        description: 'Exactly one identifier must be set.',
        reason: 'INVALID_FORMAT',
      });
      continue;
    }
    const problem = identifierProblem(identifier, invalidHashes, encoding);
    if (problem) problems.push({ field: `${at}.user_data.user_identifiers`, ...problem });
    else keys.push(identifierKey(identifier, encoding));
  }
  return problems;
}

function identifierProblem(
  identifier: Record<string, unknown>,
  invalidHashes: Set<string>,
  encoding: 'HEX' | 'BASE64',
): { description: string; reason: string } | undefined {
  const hashes: unknown[] = [];
  if (identifier.emailAddress !== undefined) hashes.push(identifier.emailAddress);
  if (identifier.phoneNumber !== undefined) hashes.push(identifier.phoneNumber);
  const address = identifier.address as Record<string, unknown> | undefined;
  if (address) {
    hashes.push(address.givenName, address.familyName);
    // INVALID_COUNTRY_CODE is deprecated in error.proto: the region code has INVALID_REGION_CODE.
    if (typeof address.regionCode !== 'string' || !/^[A-Z]{2}$/.test(address.regionCode))
      return { description: 'The region code is not valid.', reason: 'INVALID_REGION_CODE' };
    if (typeof address.postalCode !== 'string' || address.postalCode.trim() === '')
      return { description: 'Postal code is not valid.', reason: 'INVALID_POSTAL_CODE' };
  }
  for (const hash of hashes) {
    const hex = decodeHash(hash, encoding);
    if (hex === undefined)
      return encoding === 'HEX'
        ? { description: 'The HEX encoded value is malformed.', reason: 'INVALID_HEX_ENCODING' }
        : { description: 'The Base64 encoded value is malformed.', reason: 'INVALID_BASE64_ENCODING' };
    if (hex.length !== 64) return { description: 'The SHA256 encoded value is malformed.', reason: 'INVALID_SHA256_FORMAT' };
    if (invalidHashes.has(hex)) return { description: 'This audience member is not valid.', reason: 'INVALID_AUDIENCE_MEMBER' };
  }
  return undefined;
}

/** A hash in the request's encoding as lower-case hex, or undefined when it is not valid in that encoding. */
function decodeHash(value: unknown, encoding: 'HEX' | 'BASE64'): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (encoding === 'HEX') return HEX.test(value) && value.length % 2 === 0 ? value.toLowerCase() : undefined;
  return BASE64.test(value) && value.length % 4 === 0 ? Buffer.from(value, 'base64').toString('hex') : undefined;
}

/** The identifier's key in the list, hashes as lower-case hex whatever the request's encoding. */
function identifierKey(identifier: Record<string, unknown>, encoding: 'HEX' | 'BASE64'): string {
  const hex = (value: unknown) => decodeHash(value, encoding) ?? String(value);
  if (identifier.emailAddress !== undefined) return `email:${hex(identifier.emailAddress)}`;
  if (identifier.phoneNumber !== undefined) return `phone:${hex(identifier.phoneNumber)}`;
  const address = identifier.address as Record<string, string>;
  return `address:${hex(address.givenName)}|${hex(address.familyName)}|${address.regionCode}|${address.postalCode}`;
}

/** One destination's RequestStatusPerDestination (proto3 JSON: int64 counts as strings). */
function statusOf(found: FakeRequestStatus, destination: unknown, now: number): Record<string, unknown> {
  if (found.pollsLeft > 0) {
    found.pollsLeft -= 1;
    return { destination, requestStatus: 'PROCESSING' };
  }
  if (now < found.processedAt) return { destination, requestStatus: 'PROCESSING' };
  const failed = [...found.errorCounts.values()].reduce((sum, count) => sum + count, 0);
  const requestStatus = failed === 0 ? 'SUCCESS' : failed >= found.recordCount ? 'FAILED' : 'PARTIAL_SUCCESS';
  const counts = { recordCount: String(found.recordCount), userIdentifierCount: String(found.identifierCount) };
  return {
    destination,
    requestStatus,
    ...(failed > 0
      ? { errorInfo: { errorCounts: [...found.errorCounts].map(([reason, count]) => ({ recordCount: String(count), reason })) } }
      : {}),
    ...(found.mode === 'ingest'
      ? { audienceMembersIngestionStatus: { userDataIngestionStatus: counts } }
      : { audienceMembersRemovalStatus: { userDataRemovalStatus: counts } }),
  };
}

/** 400 INVALID_ARGUMENT when the request is not valid against the protos (unknown field, bad type or enum, REQUIRED missing). */
function specRefusal(request: RecordedRequest): FakeResponse | undefined {
  if (request.body === undefined && request.rawBody.trim() !== '')
    return badRequest([{ field: '', description: 'Invalid JSON payload received.', reason: 'INVALID_ARGUMENT' }]);
  const violations = requestViolations(request);
  if (violations.length === 0) return undefined;
  // Google's JSON parser puts the first unknown name in the message itself.
  const message = violations.find((violation) => violation.description.startsWith('Invalid JSON payload'))?.description;
  return badRequest(violations, message);
}

const errorInfo = (reason: string, metadata?: Record<string, string>) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'datamanager.googleapis.com',
  ...(metadata ? { metadata } : {}),
});

/** A `google.rpc.Status` error answer. */
export function status(
  code: number,
  name: string,
  message: string,
  details: unknown[] = [],
  headers?: Record<string, string>,
): FakeResponse {
  return { status: code, headers, body: { error: { code, message, status: name, details } } };
}

/**
 * 400 INVALID_ARGUMENT as the API answers it: ErrorInfo reason INVALID_ARGUMENT, and the violations
 * in a BadRequest (`field` snake_case paths as Google names them, `reason` an `ErrorReason` of error.proto).
 */
const badRequest = (fieldViolations: Violation[], message?: string): FakeResponse =>
  status(400, 'INVALID_ARGUMENT', message ?? 'There was a problem with the request.', [
    errorInfo('INVALID_ARGUMENT'),
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations },
  ]);
