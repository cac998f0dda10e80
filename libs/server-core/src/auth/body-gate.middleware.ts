import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyService } from './api-key.service';
import { presentedSecret } from './api-key.guard';

type Middleware = (request: IncomingMessage & { path?: string }, response: ServerResponse, next: (error?: unknown) => void) => void;

/** A request that carries a body (a length above zero, or chunked). */
export function carriesBody(request: IncomingMessage): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/**
 * Express middleware, mounted before every body reader: a request with a body must present a
 * known key in its headers, or it is answered 401 and its body is never read (the connection is
 * closed rather than drained) — nobody without a key makes the API buffer 2 MB. Once accepted, the
 * body must arrive within `bodyReadTimeoutMs`, or the request is answered 408 `body_timeout` and its
 * connection closed (a slow sender would otherwise hold a socket and a parser for as long as it likes).
 * The route's guard still checks the role afterwards; a database error here is left to it (it
 * answers tracking's 503 with Retry-After).
 */
export function keyBeforeBody(apiKeys: Pick<ApiKeyService, 'authenticate'>, bodyReadTimeoutMs: number): Middleware {
  return (request, response, next) => {
    if (!carriesBody(request)) return next();
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
        limitBodyRead(request, response, bodyReadTimeoutMs);
        next();
      },
      () => {
        limitBodyRead(request, response, bodyReadTimeoutMs);
        next();
      },
    );
  };
}

/**
 * Express middleware for the admin routes: a body must be JSON (`application/json` or `+json`);
 * anything else, forms included, is 415 before it is read. Tracking routes are not mounted on it
 * (Segment's and RudderStack's libraries send what they send; their reader copes).
 */
export function jsonBodiesOnly(exceptPaths: readonly string[]): Middleware {
  const skipped = new Set(exceptPaths);
  return (request, response, next) => {
    if (!carriesBody(request) || skipped.has(request.path ?? '')) return next();
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
