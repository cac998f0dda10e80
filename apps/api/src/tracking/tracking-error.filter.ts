import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable } from '@audiencekit/ingestion';
import { ErrorBody } from '@audiencekit/server-core';
import { ErrorBodyFilter } from '../errors/error-body.filter';

// Segment's libraries retry 5xx (except 501/505) with backoff; the header tells any client when.
const RETRY_AFTER_SECONDS = 5;

/**
 * On the tracking routes, a database that is down or refusing connections is a 503 (retry later:
 * message ids make the retry safe), never a 500. Scoped to the controller, it also covers the
 * write-key check, which reads the database before the handler runs. Everything else keeps the
 * app's standard error body.
 */
@Catch()
export class TrackingErrorFilter implements ExceptionFilter {
  private readonly standard = new ErrorBodyFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (!isDatabaseUnavailable(exception)) return this.standard.catch(exception, host);
    const body: ErrorBody = {
      statusCode: 503,
      code: 'database_unavailable',
      message: 'the event store is unavailable right now; retry later (a retry with the same messageIds is stored once)',
    };
    host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(RETRY_AFTER_SECONDS)).status(503).json(body);
  }
}
