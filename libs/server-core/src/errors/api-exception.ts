import { HttpException } from '@nestjs/common';

export interface ErrorDetail {
  /** JSON path of the offending field, e.g. `batch[3].timestamp` or `rules.all[2].window.last`. */
  path: string;
  message: string;
}

/** The one error body every route answers with. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
}

/** Throw this from controllers/services for any 4xx/5xx with a machine-readable code. */
export class ApiException extends HttpException {
  constructor(statusCode: number, code: string, message: string, details?: ErrorDetail[]) {
    const body: ErrorBody = details?.length ? { statusCode, code, message, details } : { statusCode, code, message };
    super(body, statusCode);
  }
}

/** Formats zod issues as error details with dotted/bracketed paths. */
export function zodIssuesToDetails(issues: { path: PropertyKey[]; message: string }[], prefix = ''): ErrorDetail[] {
  return issues.map((issue) => ({ path: formatPath([...(prefix ? [prefix] : []), ...issue.path]), message: issue.message }));
}

export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    return text ? `${text}.${String(part)}` : String(part);
  }, '');
}
