import type { IncomingMessage, ServerResponse } from 'node:http';

/** Every vendor callback path: `/v1/vendor-events/<connector slug>/<destination id>[/…]`. */
export const VENDOR_EVENTS_PATHS = /^\/v1\/vendor-events\//;

/** SendGrid posts batches of events; 5 MB is well above what one post holds. */
export const VENDOR_EVENTS_BODY_LIMIT = 5 * 1024 * 1024;

export type VendorEventsRequest = IncomingMessage & { path?: string; rawBody?: Buffer; _body?: boolean };
type Middleware = (request: VendorEventsRequest, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Runs `middleware` except on vendor callback paths (they carry no API key: the vendor's signature
 * authenticates them, checked by the route).
 */
export function exceptVendorEvents(middleware: Middleware): Middleware {
  return (request, response, next) => (VENDOR_EVENTS_PATHS.test(request.path ?? '') ? next() : middleware(request, response, next));
}

/**
 * Reads a vendor callback's body as raw bytes (the signatures cover the exact bytes: SendGrid's the
 * JSON as sent, Twilio's the form parameters) onto `request.rawBody`, before Nest's parsers, which
 * then leave it alone (`_body`). Over the limit: 413 and the connection closed; slower than
 * `timeoutMs`: 408.
 */
export function vendorEventsBodyReader(timeoutMs: number, limit = VENDOR_EVENTS_BODY_LIMIT): Middleware {
  return (request, response, next) => {
    if (!VENDOR_EVENTS_PATHS.test(request.path ?? '')) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // A sender slower than AK_BODY_READ_TIMEOUT_MS gets 408, as on every other route.
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      response.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
      response.end(
        JSON.stringify({ statusCode: 408, code: 'body_timeout', message: `the request body did not arrive within ${timeoutMs} ms` }),
      );
      request.destroy();
    }, timeoutMs);
    timer.unref();
    response.once('close', () => clearTimeout(timer));
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        response.end(
          JSON.stringify({
            statusCode: 413,
            code: 'body_too_large',
            message: `the body is over ${limit} bytes`,
            details: [{ path: 'body', message: `must be at most ${limit} bytes` }],
          }),
        );
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      request.rawBody = Buffer.concat(chunks);
      request._body = true;
      next();
    });
    request.on('error', (error) => {
      if (done) return;
      done = true;
      next(error);
    });
  };
}
