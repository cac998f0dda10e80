import { randomUUID } from 'node:crypto';
import { FakeResponse, FakeVendorServer, RecordedRequest, startFakeVendor } from '@audiencekit/connector-sdk/testing';

/**
 * A fake of the Data Manager API's IngestionService audience methods (`POST /v1/audienceMembers:ingest`
 * and `:remove`, google/ads/datamanager/v1/ingestion_service.proto), GetUserList (`GET /v1/accountTypes/{type}/
 * accounts/{account}/userLists/{id}`, user_list.proto) and Google's OAuth token
 * endpoint (`POST /token`, refresh-token grant). It validates requests the way the API documents:
 * fast-fail (one invalid member fails the whole request, nothing applied), `google.rpc.Status` error
 * bodies with ErrorInfo and BadRequest field violations, at most 10,000 members and 10 identifiers a
 * member, HEX encoding, SHA-256 hashes, Customer Match terms required for ingest, 429
 * RESOURCE_EXHAUSTED past a per-minute request quota.
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
  random?: () => number;
}

export interface GoogleFake {
  server: FakeVendorServer;
  readonly url: string;
  /** Member keys in the user list: `email:<hash>`, `phone:<hash>`, `address:<given>|<family>|<RC>|<postal>`. */
  members: Set<string>;
  /** Request ids answered, in order. */
  requestIds: string[];
  stop(): Promise<void>;
}

export const GOOGLE_FAKE_MAX_MEMBERS = 10_000;
const HEX = /^[0-9a-fA-F]+$/;
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
      const keys: string[] = [];
      const violations = list.flatMap((member, index) => memberProblems(member, index, invalidHashes, keys));
      if (violations.length > 0) return badRequest(violations);
      if (body.validateOnly === true) return { status: 200, body: {} };
      for (const key of keys) {
        if (mode === 'ingest') members.add(key);
        else members.delete(key);
      }
      const requestId = randomUUID();
      requestIds.push(requestId);
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
        sizeInfo: { displayNetworkMembersCount: size, searchNetworkMembersCount: size },
      },
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
    },
  });
  return {
    server,
    get url() {
      return server.url;
    },
    members,
    requestIds,
    stop: () => server.stop(),
  };
}

/** Violations of one `AudienceMember`; the keys of its identifiers are pushed for when the request is applied. */
function memberProblems(member: unknown, index: number, invalidHashes: Set<string>, keys: string[]): Violation[] {
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
    const problem = identifierProblem(identifier, invalidHashes);
    if (problem) problems.push({ field: `${at}.user_data.user_identifiers`, ...problem });
    else keys.push(identifierKey(identifier));
  }
  return problems;
}

function identifierProblem(
  identifier: Record<string, unknown>,
  invalidHashes: Set<string>,
): { description: string; reason: string } | undefined {
  const hashes: unknown[] = [];
  if (identifier.emailAddress !== undefined) hashes.push(identifier.emailAddress);
  if (identifier.phoneNumber !== undefined) hashes.push(identifier.phoneNumber);
  const address = identifier.address as Record<string, unknown> | undefined;
  if (address) {
    hashes.push(address.givenName, address.familyName);
    if (typeof address.regionCode !== 'string' || !/^[A-Z]{2}$/.test(address.regionCode))
      return { description: 'Country code is not valid.', reason: 'INVALID_COUNTRY_CODE' };
    if (typeof address.postalCode !== 'string' || address.postalCode.trim() === '')
      return { description: 'Postal code is not valid.', reason: 'INVALID_POSTAL_CODE' };
  }
  for (const hash of hashes) {
    if (typeof hash !== 'string' || !HEX.test(hash)) return { description: 'Value is not hex encoded.', reason: 'INVALID_HEX_ENCODING' };
    if (hash.length !== 64) return { description: 'The SHA256 encoded value is malformed.', reason: 'INVALID_SHA256_FORMAT' };
    if (invalidHashes.has(hash.toLowerCase()))
      return { description: 'This audience member is not valid.', reason: 'INVALID_AUDIENCE_MEMBER' };
  }
  return undefined;
}

function identifierKey(identifier: Record<string, unknown>): string {
  if (identifier.emailAddress !== undefined) return `email:${String(identifier.emailAddress).toLowerCase()}`;
  if (identifier.phoneNumber !== undefined) return `phone:${String(identifier.phoneNumber).toLowerCase()}`;
  const address = identifier.address as Record<string, string>;
  return `address:${address.givenName}|${address.familyName}|${address.regionCode}|${address.postalCode}`;
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

const badRequest = (fieldViolations: Violation[]): FakeResponse =>
  status(400, 'INVALID_ARGUMENT', 'There was a problem with the request.', [
    errorInfo('INVALID_ARGUMENT'),
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations },
  ]);
