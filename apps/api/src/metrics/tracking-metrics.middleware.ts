import type { NextFunction, Request, Response } from 'express';
import { Metrics } from '@audiencekit/server-core';

/**
 * Times every tracking request from its first byte to the response's end (body reading, parsing
 * and the commit included), labelled by route (`/v1/batch`, ...) and status code.
 */
export function trackingRequestTimer(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const stop = metrics.trackingRequestDuration.startTimer();
    response.once('finish', () => stop({ route: routeLabel(request), status: String(response.statusCode) }));
    next();
  };
}

/**
 * `/v1/batch?x` → `/v1/batch`; quiz answers → `/v1/quizzes/:key/answers` (the key left out: one
 * series for every quiz); anything else under /v1 collapses to `/v1/other` (bounded labels).
 */
function routeLabel(request: Request): string {
  const path = (request.originalUrl ?? request.url).split('?')[0].replace(/\/+$/, '');
  if (/^\/v1\/(identify|track|page|screen|group|alias|batch|b|import)$/.test(path)) return path;
  return /^\/v1\/quizzes\/[^/]+\/answers$/.test(path) ? '/v1/quizzes/:key/answers' : '/v1/other';
}
