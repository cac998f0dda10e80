import {
  ConnectorContext,
  ConnectorError,
  connectorErrorFromHttp,
  HttpHeaders,
  HttpRequestConfig,
  InvalidCredentialsError,
  isHttpClientError,
  parseRetryAfter,
  RetryableError,
} from '@audiencekit/connector-sdk';
import type { MetaSecrets, MetaSettings } from './meta-settings';

export const META_GRAPH_HOST = 'https://graph.facebook.com';

type MetaContext = Omit<ConnectorContext<MetaSettings, MetaSecrets>, 'audience'>;

/** Graph API error body: `{ error: { message, type, code, error_subcode, is_transient, fbtrace_id } }`. */
interface MetaErrorBody {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; is_transient?: boolean; fbtrace_id?: string };
}

/** 102 session expired, 190 invalid token: the token must be replaced. 10 and 200–299: the token lacks a permission. */
const isCredentialCode = (code: number): boolean => code === 102 || code === 190 || code === 10 || (code >= 200 && code <= 299);
/** 4 app, 17 user, 32 page, 613 ad-account call limits; 80000–80014 Business Use Case limits (80003: custom audiences). */
const isRateLimitCode = (code: number): boolean =>
  code === 4 || code === 17 || code === 32 || code === 613 || (code >= 80000 && code <= 80014);
/** 1 unknown error, 2 service temporarily unavailable. */
const isTransientCode = (code: number): boolean => code === 1 || code === 2;

/** One Graph API call; every failure leaves as one of the SDK's closed error set. */
export async function metaRequest<T>(ctx: MetaContext, config: HttpRequestConfig): Promise<T> {
  const baseURL = `${(ctx.baseUrl ?? META_GRAPH_HOST).replace(/\/+$/, '')}/${ctx.settings.apiVersion}`;
  try {
    const response = await ctx.http.client.request<T>({
      ...config,
      baseURL,
      // A header, not the `access_token` parameter, so the token never lands in a URL or an access log.
      headers: { ...config.headers, Authorization: `Bearer ${ctx.secrets.accessToken}` },
      signal: ctx.signal,
      maxBodyLength: Infinity,
    });
    return response.data;
  } catch (error) {
    throw metaError(error);
  }
}

/** Maps an axios failure against the Graph API to the closed error set (by Meta's error code first, HTTP status second). */
export function metaError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (!isHttpClientError(error))
    return new ConnectorError('connector_error', `Meta: ${error instanceof Error ? error.message : String(error)}`);
  const response = error.response;
  // No answer at all (reset, timeout, abort): worth another try later.
  if (!response) return new RetryableError(`Meta: ${error.message}`, undefined, error.code);
  const headers = response.headers as HttpHeaders;
  const body = (response.data as MetaErrorBody | undefined)?.error;
  const code = body?.code;
  const vendorCode = code === undefined ? undefined : body?.error_subcode ? `${code}/${body.error_subcode}` : String(code);
  const message = `Meta: ${body?.message ?? `HTTP ${response.status}`}`;
  if (code !== undefined && isCredentialCode(code)) return new InvalidCredentialsError(message, vendorCode);
  if (code !== undefined && isRateLimitCode(code))
    return new RetryableError(message, metaRetryAfterMs(headers), vendorCode, { slowDown: true });
  if ((code !== undefined && isTransientCode(code)) || body?.is_transient === true) {
    return new RetryableError(message, parseRetryAfter(headerOf(headers, 'retry-after')), vendorCode);
  }
  return connectorErrorFromHttp(response.status, headers, message, vendorCode);
}

/**
 * How long Meta asks us to wait, from its usage headers: `x-business-use-case-usage` carries
 * `estimated_time_to_regain_access` in minutes per business use case, `x-ad-account-usage` a
 * `reset_time_duration` in seconds; a plain `Retry-After` wins. Undefined when none says: the core's backoff applies.
 */
export function metaRetryAfterMs(headers: HttpHeaders): number | undefined {
  const retryAfter = parseRetryAfter(headerOf(headers, 'retry-after'));
  if (retryAfter !== undefined) return retryAfter;
  const waits: number[] = [];
  const buc = parseJsonHeader(headerOf(headers, 'x-business-use-case-usage'));
  if (buc && typeof buc === 'object') {
    for (const entries of Object.values(buc as Record<string, unknown>)) {
      for (const entry of Array.isArray(entries) ? entries : []) {
        const minutes = Number((entry as { estimated_time_to_regain_access?: unknown }).estimated_time_to_regain_access);
        if (Number.isFinite(minutes) && minutes > 0) waits.push(minutes * 60_000);
      }
    }
  }
  const account = parseJsonHeader(headerOf(headers, 'x-ad-account-usage')) as { reset_time_duration?: unknown } | undefined;
  const seconds = Number(account?.reset_time_duration);
  if (Number.isFinite(seconds) && seconds > 0) waits.push(seconds * 1000);
  return waits.length === 0 ? undefined : Math.max(...waits);
}

function headerOf(headers: HttpHeaders, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function parseJsonHeader(value: string | undefined): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** Form body as Meta's own examples send it (`payload=<json>`). */
export const formBody = (fields: Record<string, string | number | boolean | object>): URLSearchParams =>
  new URLSearchParams(
    Object.entries(fields).map(([key, value]): [string, string] => [
      key,
      typeof value === 'object' ? JSON.stringify(value) : String(value),
    ]),
  );
