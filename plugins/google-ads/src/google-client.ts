import {
  ConnectorContext,
  ConnectorError,
  connectorErrorFromHttp,
  HttpHeaders,
  isHttpClientError,
  parseRetryAfter,
  RetryableError,
} from '@audiencekit/connector-sdk';
import { googleAccessToken } from './google-auth';
import type { GoogleSecrets, GoogleSettings } from './google-settings';

export const DATA_MANAGER_HOST = 'https://datamanager.googleapis.com';

type GoogleContext = Omit<ConnectorContext<GoogleSettings, GoogleSecrets>, 'audience'>;

/** `google.rpc.Status` as the REST API returns it, with the ErrorInfo and BadRequest details. */
export interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: {
      '@type'?: string;
      reason?: string;
      metadata?: Record<string, string>;
      fieldViolations?: { field?: string; description?: string; reason?: string }[];
    }[];
  };
}

/** A failed call with its status and Google's error body, for the caller to attribute or map. */
export class GoogleApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: HttpHeaders,
    readonly body: GoogleErrorBody,
  ) {
    super(body.error?.message ?? `HTTP ${status}`);
  }
}

/**
 * GET a Data Manager resource (e.g. a user list); failures as for `dataManagerPost`. A GET has no body
 * to carry the destination's `loginAccount`, so it goes in the `login-account` header: without it, a
 * token that reaches the operating account only through its manager gets PERMISSION_DENIED.
 */
export async function dataManagerGet<T>(ctx: GoogleContext, resource: string): Promise<T> {
  const token = await googleAccessToken(ctx);
  const login = ctx.settings.loginAccount;
  try {
    const response = await ctx.http.client.get<T>(`${(ctx.baseUrl ?? DATA_MANAGER_HOST).replace(/\/+$/, '')}/v1/${resource}`, {
      headers: {
        Authorization: `Bearer ${token}`,
        ...(login ? { 'login-account': `accountTypes/${login.accountType}/accounts/${login.accountId}` } : {}),
      },
      signal: ctx.signal,
    });
    return response.data;
  } catch (error) {
    throw toFailure(error);
  }
}

/** POST to a Data Manager method; a non-2xx answer becomes `GoogleApiFailure`, no answer a `RetryableError`. */
export async function dataManagerPost<T>(ctx: GoogleContext, method: string, body: unknown): Promise<T> {
  const token = await googleAccessToken(ctx);
  try {
    const response = await ctx.http.client.post<T>(`${(ctx.baseUrl ?? DATA_MANAGER_HOST).replace(/\/+$/, '')}/v1/${method}`, body, {
      headers: { Authorization: `Bearer ${token}` },
      signal: ctx.signal,
      maxBodyLength: Infinity,
    });
    return response.data;
  } catch (error) {
    throw toFailure(error);
  }
}

function toFailure(error: unknown): unknown {
  if (!isHttpClientError(error)) return error;
  if (!error.response) return new RetryableError(`Google Data Manager: ${error.message}`, undefined, error.code);
  return new GoogleApiFailure(error.response.status, error.response.headers as HttpHeaders, (error.response.data ?? {}) as GoogleErrorBody);
}

/**
 * The closed-set error of a failed call: 401 UNAUTHENTICATED and 403 PERMISSION_DENIED fail fast as
 * invalid credentials (the token, or its access to the account, must be fixed); 429 RESOURCE_EXHAUSTED
 * and 5xx are retryable; other 4xx are payload problems, coded with Google's reason.
 */
export function googleError(failure: GoogleApiFailure, now = Date.now()): ConnectorError {
  const { status, headers, body } = failure;
  const reason = firstReason(body) ?? body.error?.status;
  const message = `Google Data Manager: ${body.error?.message ?? `HTTP ${status}`}${reason ? ` (${reason})` : ''}`;
  const vendorCode = body.error?.status ?? `HTTP ${status}`;
  if (status === 429) return new RetryableError(message, quotaRetryAfterMs(headers, body, now), vendorCode, { slowDown: true });
  const mapped = connectorErrorFromHttp(status, headers, message, status >= 400 && status < 500 && reason ? reason : vendorCode);
  return mapped;
}

/**
 * When to try again after RESOURCE_EXHAUSTED: `Retry-After` if Google sent one; else, from the quota
 * named in ErrorInfo `metadata.quota_limit`, the next minute (…PerMinutePerProject) or the next
 * midnight Pacific time, when Google resets daily quotas (…PerDayPerProject); else the core's backoff.
 */
export function quotaRetryAfterMs(headers: HttpHeaders, body: GoogleErrorBody, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers['retry-after']);
  if (retryAfter !== undefined) return retryAfter;
  const quota = body.error?.details?.find((detail) => detail.metadata?.quota_limit)?.metadata?.quota_limit ?? '';
  if (/PerMinute/i.test(quota)) return 60_000 - (now % 60_000);
  if (/PerDay/i.test(quota)) return msUntilPacificMidnight(now);
  return undefined;
}

function msUntilPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
    .formatToParts(new Date(now))
    .reduce<Record<string, number>>((acc, part) => (part.type === 'literal' ? acc : { ...acc, [part.type]: Number(part.value) }), {});
  const elapsed = ((parts.hour * 60 + parts.minute) * 60 + parts.second) * 1000 + (now % 1000);
  return 86_400_000 - elapsed;
}

const firstReason = (body: GoogleErrorBody): string | undefined =>
  body.error?.details?.flatMap((detail) => detail.fieldViolations?.map((violation) => violation.reason) ?? []).find(Boolean) ??
  body.error?.details?.find((detail) => detail.reason && detail.reason !== body.error?.status)?.reason;

/** Indexes of `audienceMembers` that Google's field violations name (`audience_members[3]…`), with the reason of each. */
export function memberViolations(body: GoogleErrorBody): Map<number, string> {
  const byIndex = new Map<number, string>();
  for (const detail of body.error?.details ?? []) {
    for (const violation of detail.fieldViolations ?? []) {
      const match = /audience_?members\[(\d+)\]/i.exec(violation.field ?? '');
      if (match) byIndex.set(Number(match[1]), violation.reason ?? violation.description ?? 'INVALID_AUDIENCE_MEMBER');
    }
  }
  return byIndex;
}
