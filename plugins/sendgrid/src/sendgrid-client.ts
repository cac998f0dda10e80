import { Client } from '@sendgrid/client';
import {
  ConnectorError,
  connectorErrorFromHttp,
  GuardedHttp,
  HttpHeaders,
  parseRetryAfter,
  refusedTargetIn,
  RetryableError,
} from '@audiencekit/connector-sdk';
import { z } from 'zod';

/** The secrets both SendGrid connectors share: one API key (Bearer auth). */
export const sendgridSecrets = z.object({
  apiKey: z.string().trim().startsWith('SG.', 'a SendGrid API key starts with "SG."').describe('SendGrid API key'),
});
export type SendgridSecrets = z.infer<typeof sendgridSecrets>;

/** `global` is api.sendgrid.com, `eu` is api.eu.sendgrid.com (EU regional subusers). */
export const sendgridRegion = z.enum(['global', 'eu']).default('global').describe('Data residency of the SendGrid account');

export interface SendgridCallContext {
  readonly secrets: SendgridSecrets;
  readonly settings: { region?: 'global' | 'eu' };
  readonly baseUrl?: string;
  readonly signal: AbortSignal;
  readonly http: GuardedHttp;
}

/**
 * A fresh `@sendgrid/client` for one call, never the module's singleton: two destinations with
 * different keys (or a test's fake and a real host) must not share state. `setApiKey` resets the
 * base URL, so residency and the core's `baseUrl` override are applied after it.
 */
export function sendgridClient(ctx: SendgridCallContext): Client {
  const client = new Client();
  client.setApiKey(ctx.secrets.apiKey);
  if (ctx.settings.region === 'eu') client.setDataResidency('eu');
  if (ctx.baseUrl) client.setDefaultRequest('baseUrl', ctx.baseUrl);
  // mergeData copies the default request shallowly, so the signal and the core's guarded agents
  // (ctx.http: private addresses refused at connect time) reach the SDK's axios as they are.
  client.setDefaultRequest({
    signal: ctx.signal,
    timeout: 30_000,
    httpAgent: ctx.http.httpAgent,
    httpsAgent: ctx.http.httpsAgent,
    maxRedirects: 0,
    proxy: false,
  } as never);
  return client;
}

export interface SendgridRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  qs?: Record<string, string | number | boolean>;
}

/** One request through the SDK; a failed answer becomes one of the connector errors. */
export async function sendgridRequest<T>(
  client: Client,
  request: SendgridRequest,
): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  try {
    const [response, body] = await client.request(request as never);
    return { status: response.statusCode, body: body as T, headers: response.headers as Record<string, unknown> };
  } catch (error) {
    throw toConnectorError(error, `${request.method} ${request.url}`);
  }
}

/** A SendGrid `errors[]` entry (ErrorResponse in the OpenAPI files). */
export interface SendgridErrorItem {
  message?: string;
  field?: string | null;
  help?: unknown;
}

/** What a failed SDK call carries: `ResponseError` has `code` (the status) and `response` (headers, body). */
export interface SendgridFailure {
  status: number;
  headers: Record<string, unknown>;
  errors: SendgridErrorItem[];
}

export function sendgridFailure(error: unknown): SendgridFailure | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const candidate = error as { code?: unknown; response?: { headers?: Record<string, unknown>; body?: unknown } };
  if (typeof candidate.code !== 'number' || !candidate.response) return undefined;
  const body = candidate.response.body as { errors?: unknown } | undefined;
  const errors = body && typeof body === 'object' && Array.isArray(body.errors) ? (body.errors as SendgridErrorItem[]) : [];
  return { status: candidate.code, headers: candidate.response.headers ?? {}, errors };
}

/**
 * Maps an SDK error to the closed set: 429 → retryable after `Retry-After` or else
 * `X-RateLimit-Reset` (SendGrid's documented header, a Unix time in seconds); other statuses as the
 * SDK's `connectorErrorFromHttp` (401/403 invalid credentials, 408/5xx retryable, other 4xx payload
 * validation); no answer at all (reset, timeout, abort) → retryable.
 */
export function toConnectorError(error: unknown, what: string, now = Date.now()): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const refused = refusedTargetIn(error);
  if (refused) return refused;
  const failure = sendgridFailure(error);
  if (!failure)
    return new RetryableError(`SendGrid ${what}: ${error instanceof Error ? error.message : String(error)}`, undefined, 'network');
  const { status, headers } = failure;
  const message = `SendGrid ${what} answered ${status}: ${describeErrors(failure.errors) || 'no details'}`;
  const code = `HTTP ${status}`;
  if (status === 429) return new RetryableError(message, rateLimitWaitMs(headers, now), code);
  return connectorErrorFromHttp(status, headers as HttpHeaders, message, code);
}

/** Milliseconds until SendGrid lets us call again: `Retry-After` if sent, else `X-RateLimit-Reset`. */
export function rateLimitWaitMs(headers: Record<string, unknown>, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after') as string | undefined, now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  return Math.max(0, reset * 1000 - now);
}

export const describeErrors = (errors: SendgridErrorItem[]): string =>
  errors.map((item) => (item.field && item.field !== 'null' ? `${item.field}: ${item.message ?? ''}` : (item.message ?? ''))).join('; ');

function header(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
