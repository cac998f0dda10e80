import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyService } from './api-key.service';
import { BEARER_REQUIRED_MESSAGE, isBearer, presentedSecret } from './api-key.guard';

type Middleware = (request: IncomingMessage & { path?: string }, response: ServerResponse, next: (error?: unknown) => void) => void;

/** A request that carries a body (a length above zero, or chunked). */
export function carriesBody(request: IncomingMessage): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/** Seconds a client is told to wait (Retry-After) when the key lookup fails; tracking's 503 says the same. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Express middleware, mounted before every body reader: a request with a body must present, in its
 * headers, a key the route's guard would accept, or it is refused and its body is never read (the
 * connection is closed rather than drained) — nobody without such a key makes the API buffer 2 MB.
 * The gate mirrors the guard: on a tracking path (`trackingPaths`: exact paths, or patterns for
 * routes with a parameter such as `/v1/quizzes/:key/answers`) only a `write` key (Bearer, HTTP
 * Basic or x-api-key); on any other path only a Bearer key whose role is not `write` — HTTP Basic or
 * x-api-key there is 401 `bearer_required`, a key of the wrong role 403 `insufficient_role`, an
 * unknown key 401 `invalid_api_key`. When the key lookup fails (database down), the answer is 503
 * `database_unavailable` with Retry-After, the body unread. Once accepted, the body must arrive
 * within `bodyReadTimeoutMs`, or the request is answered 408 `body_timeout` and its connection
 * closed (a slow sender would otherwise hold a socket and a parser for as long as it likes). The
 * guard still checks the route's exact role afterwards (viewer, marketer, admin).
 */
export function keyBeforeBody(
  apiKeys: Pick<ApiKeyService, 'authenticate'>,
  bodyReadTimeoutMs: number,
  trackingPaths: readonly (string | RegExp)[],
): Middleware {
  const tracking = new Set(trackingPaths.filter((path): path is string => typeof path === 'string').map(normalPath));
  const patterns = trackingPaths.filter((path): path is RegExp => path instanceof RegExp);
  const isTracking = (path: string) => tracking.has(path) || patterns.some((pattern) => pattern.test(path));
  return (request, response, next) => {
    if (!carriesBody(request)) return next();
    const onTracking = isTracking(normalPath(request.path ?? new URL(request.url ?? '/', 'http://x').pathname));
    if (!onTracking && !isBearer(request.headers)) return refuse(response, 401, 'bearer_required', BEARER_REQUIRED_MESSAGE);
    const secret = presentedSecret(request.headers);
    if (!secret)
      return refuse(
        response,
        401,
        'missing_api_key',
        'an API key is required before the body is read (Authorization: Bearer <key>; tracking: HTTP Basic with the write key as user name)',
      );
    apiKeys.authenticate(secret).then(
      (key) => {
        if (!key) return refuse(response, 401, 'invalid_api_key', 'the API key is unknown or revoked');
        if (onTracking !== (key.role === 'write'))
          return refuse(
            response,
            403,
            'insufficient_role',
            onTracking
              ? `this route requires a write key; this key is ${key.role}`
              : 'admin routes do not take write keys; this key is write',
          );
        limitBodyRead(request, response, bodyReadTimeoutMs);
        next();
      },
      () => {
        response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        refuse(response, 503, 'database_unavailable', 'the API keys could not be checked right now (database unavailable); retry later');
      },
    );
  };
}

/** Express matches paths case-insensitively and with or without a trailing slash; so does the gate. */
function normalPath(path: string): string {
  return path.toLowerCase().replace(/\/+$/, '') || '/';
}

/**
 * Express middleware for the admin routes: a body must be JSON (`application/json` or `+json`);
 * anything else, forms included, is 415 before it is read. Tracking routes are not mounted on it
 * (Segment's and RudderStack's libraries send what they send; their reader copes). A path given
 * as a RegExp (e.g. `/^\/segments\/[^/]+\/list$/`) is skipped when it matches: its route reads its own body.
 */
export function jsonBodiesOnly(exceptPaths: readonly (string | RegExp)[]): Middleware {
  const skipped = new Set(exceptPaths.filter((path): path is string => typeof path === 'string'));
  const patterns = exceptPaths.filter((path): path is RegExp => path instanceof RegExp);
  return (request, response, next) => {
    const path = request.path ?? '';
    if (!carriesBody(request) || skipped.has(path) || patterns.some((pattern) => pattern.test(path))) return next();
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/json' || type.endsWith('+json')) return next();
    refuse(
      response,
      415,
      'unsupported_media_type',
      `admin routes take JSON bodies (Content-Type: application/json), not ${type || 'a body without a content type'}`,
    );
  };
}

function limitBodyRead(request: IncomingMessage, response: ServerResponse, timeoutMs: number): void {
  const timer = setTimeout(() => {
    if (request.complete || response.headersSent) return;
    refuse(response, 408, 'body_timeout', `the request body did not arrive within ${timeoutMs} ms`);
  }, timeoutMs);
  timer.unref();
  const stop = () => clearTimeout(timer);
  request.once('end', stop);
  response.once('close', stop);
}

/** Answers with the one error body and closes the connection: the unread body is never drained. */
function refuse(response: ServerResponse, statusCode: number, code: string, message: string): void {
  const body = JSON.stringify({ statusCode, code, message });
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}
