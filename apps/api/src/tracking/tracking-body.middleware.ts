import { isUtf8 } from 'node:buffer';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { TRACKING_LIMITS } from '@audiencekit/ingestion';
import { ApiException } from '@audiencekit/server-core';

/** Every tracking route; batch routes get the 500 KB limit, the others 32 KB. */
export const TRACKING_SINGLE_PATHS = ['/v1/identify', '/v1/track', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias'];
export const TRACKING_BATCH_PATHS = ['/v1/batch', '/v1/b', '/v1/import'];
export const TRACKING_PATHS = [...TRACKING_SINGLE_PATHS, ...TRACKING_BATCH_PATHS];

export interface TrackingBodyProblem {
  code: 'body_too_large' | 'invalid_json' | 'unsupported_encoding' | 'invalid_compression';
  message: string;
}

/** What the reader leaves on the request for the controller. */
export interface TrackingBodyInfo {
  /** Bytes of the JSON text (after inflating gzip). */
  bytes: number;
  problem?: TrackingBodyProblem;
}

export type TrackingRequest = Request & { trackingBody?: TrackingBodyInfo };

// An oversized body is read to its end and thrown away, so the client gets the 400 instead of a
// reset connection; past this many bytes we stop being polite and close the socket.
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Express middleware for the tracking routes, mounted before Nest's JSON parser (which then skips
 * the already-read body). It accepts identity, gzip and deflate bodies, keeps at most the route's
 * limit in memory (the limit applies to the inflated JSON, so a gzip bomb stops at 500 KB), and
 * never answers itself: problems are left on the request so the route's guard still runs first
 * (a wrong write key is a 401 whatever the body) and the controller answers 400 with the reason.
 */
export function trackingBodyReader() {
  return (request: TrackingRequest, _response: Response, next: NextFunction): void => {
    if (request.method !== 'POST') return next();
    const batch = TRACKING_BATCH_PATHS.includes(request.baseUrl);
    const limit = batch ? TRACKING_LIMITS.maxBatchBytes : TRACKING_LIMITS.maxMessageBytes;
    const what = batch ? 'a batch request (500 KB)' : 'a single message (32 KB)';
    readBody(request, limit, what).then(
      (outcome) => {
        request.trackingBody = { bytes: outcome.bytes, ...(outcome.problem ? { problem: outcome.problem } : {}) };
        (request as Request & { _body?: boolean }).body = outcome.json;
        (request as Request & { _body?: boolean })._body = true;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/**
 * What a route behind `trackingBodyReader` calls first: a body the reader could not accept becomes
 * a 400 with its reason (`body_too_large`, `invalid_json`, ...); returns the body's size in bytes.
 */
export function acceptedTrackingBody(request: TrackingRequest): number {
  const info = request.trackingBody;
  if (!info) throw new ApiException(400, 'invalid_json', 'the request body was not read: send a JSON body with POST');
  if (info.problem) throw new ApiException(400, info.problem.code, info.problem.message);
  return info.bytes;
}

/**
 * The address the request came from: Express' `request.ip`, which is the socket's peer address
 * (the API sets no `trust proxy`, so `X-Forwarded-For` is not read: behind a proxy, this is the
 * proxy's address; have the proxy's client send `context.ip`, or terminate at the API).
 */
export function requestAddress(request: TrackingRequest): string | null {
  return request.ip ?? request.socket?.remoteAddress ?? null;
}

interface ReadOutcome {
  bytes: number;
  json?: unknown;
  problem?: TrackingBodyProblem;
}

async function readBody(request: Request, limit: number, what: string): Promise<ReadOutcome> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  const inflater = decompressor(encoding);
  if (inflater === 'unsupported') {
    await discard(request);
    return {
      bytes: 0,
      problem: { code: 'unsupported_encoding', message: `content-encoding ${encoding} is not supported; send identity, gzip or deflate` },
    };
  }
  const tooLarge = (bytes: string): ReadOutcome => ({
    bytes: 0,
    problem: { code: 'body_too_large', message: `request body is ${bytes}; the limit for ${what} is ${limit} bytes` },
  });
  const declared = Number(request.headers['content-length']);
  if (!inflater && declared > limit) {
    await discard(request);
    return tooLarge(`${declared} bytes`);
  }

  const collected = await collect(request, inflater, limit);
  if (collected.overflow) return tooLarge(`over ${limit} bytes${inflater ? ' once inflated' : ''}`);
  if (collected.inflateError)
    return {
      bytes: 0,
      problem: { code: 'invalid_compression', message: `the ${encoding} body could not be inflated: ${collected.inflateError}` },
    };
  const buffer = Buffer.concat(collected.chunks);
  return { bytes: buffer.length, ...parseJson(buffer) };
}

function decompressor(encoding: string): Transform | undefined | 'unsupported' {
  if (encoding === 'identity') return undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  return 'unsupported';
}

interface Collected {
  chunks: Buffer[];
  overflow: boolean;
  inflateError?: string;
}

/** Reads the (inflated) body, stopping at `limit` bytes: past it, the rest is discarded, never held. */
function collect(request: Request, inflater: Transform | undefined, limit: number): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const source = inflater ? request.pipe(inflater) : request;
    const finish = (outcome: Collected) => {
      if (settled) return;
      settled = true;
      source.removeAllListeners('data');
      if (inflater) {
        request.unpipe(inflater);
        inflater.destroy();
      }
      // Whatever the outcome, the request stream must end before Nest's own parser looks at it.
      discard(request).then(() => resolve(outcome), reject);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish({ chunks: [], overflow: true });
      chunks.push(chunk);
    });
    source.once('end', () => finish({ chunks, overflow: false }));
    if (inflater) inflater.once('error', (error) => finish({ chunks: [], overflow: false, inflateError: error.message }));
    request.once('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

/** Reads the rest of the request and throws it away (closing the connection past MAX_DISCARDED_BYTES). */
function discard(request: Request): Promise<void> {
  if (request.readableEnded || request.complete) return Promise.resolve();
  return new Promise((resolve) => {
    let discarded = 0;
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > MAX_DISCARDED_BYTES) request.destroy();
    });
    request.once('end', () => resolve());
    request.once('close', () => resolve());
    request.resume();
  });
}

function parseJson(buffer: Buffer): { json?: unknown; problem?: TrackingBodyProblem } {
  if (buffer.length === 0) return { problem: { code: 'invalid_json', message: 'the request body is empty; send a JSON object' } };
  // isUtf8 (simdutf) then toString is about half the cost of a fatal TextDecoder, same verdict.
  if (!isUtf8(buffer)) return { problem: { code: 'invalid_json', message: 'the request body is not valid UTF-8' } };
  try {
    // A leading byte order mark is skipped, as TextDecoder does.
    const bom = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
    return { json: JSON.parse(buffer.toString('utf8', bom)) };
  } catch (error) {
    return { problem: { code: 'invalid_json', message: `the request body is not valid JSON: ${(error as Error).message}` } };
  }
}
