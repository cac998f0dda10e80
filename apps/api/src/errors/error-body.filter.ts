import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorBody } from '@audiencekit/server-core';
import { CodedException } from '@audiencekit/util';
import { STATUS_BY_CODE } from './status-by-code';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Turns every thrown error into the one ErrorBody shape: a library's `CodedException` by the
 * status table (status-by-code.ts), an `HttpException` (guards, pipes, controllers) as it says. Unknown errors become a 500 whose body
 * says nothing internal; the error itself is logged.
 */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorBodyFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // Already answered (a 408 body_timeout, then the body reader's "request aborted"): nothing to add.
    if (response.headersSent) return;
    const body = this.toBody(exception);
    if (body.statusCode >= 500 && body.statusCode !== 503)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof CodedException) return codedBody(exception);
    if (!(exception instanceof HttpException)) {
      const status = bodyParserStatus(exception);
      if (status) return { statusCode: status, code: CODE_BY_STATUS[status] ?? 'bad_request', message: (exception as Error).message };
      return { statusCode: 500, code: 'internal_error', message: 'internal error' };
    }
    const statusCode = exception.getStatus();
    const raw = exception.getResponse();
    if (typeof raw === 'object' && raw !== null) {
      const fields = raw as Partial<ErrorBody> & { error?: string; message?: string | string[] };
      const message = Array.isArray(fields.message) ? fields.message.join('; ') : (fields.message ?? exception.message);
      const { statusCode: _s, code, details, error: _e, message: _m, ...extra } = fields as ErrorBody & { error?: string };
      return { ...extra, statusCode, code: code ?? CODE_BY_STATUS[statusCode] ?? 'error', message, ...(details ? { details } : {}) };
    }
    return { statusCode, code: CODE_BY_STATUS[statusCode] ?? 'error', message: String(raw) };
  }
}

/**
 * A library's coded exception: its status comes from the API's table. A code missing from the
 * table cannot compile for the libraries listed there; anything else is a 500 (and logged).
 */
function codedBody(exception: CodedException): ErrorBody {
  const statusCode = STATUS_BY_CODE[exception.code];
  if (statusCode === undefined) return { statusCode: 500, code: 'internal_error', message: 'internal error' };
  const details = exception.details?.length ? { details: [...exception.details] } : {};
  return { ...exception.extra, statusCode, code: exception.code, message: exception.message, ...details };
}

/** body-parser / raw-body errors carry a 4xx `status` (too large, bad JSON, bad encoding). */
function bodyParserStatus(exception: unknown): number | undefined {
  const status = (exception as { status?: unknown; type?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export const INTERNAL_SERVER_ERROR = HttpStatus.INTERNAL_SERVER_ERROR;
