import { ConnectorError, InvalidCredentialsError, parseRetryAfter, PayloadValidationError, RetryableError } from './connector-errors';

/** Response headers as Node, axios and fetch-to-object give them. */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/**
 * Maps a vendor's failed HTTP answer to the closed error set, so every plugin treats statuses alike:
 * 401/403 → `InvalidCredentialsError` (the run fails fast), 408/429 and 5xx → `RetryableError`
 * (with the `Retry-After` header as `retryAfterMs`), any other 4xx → `PayloadValidationError`,
 * anything else (1xx/2xx/3xx reaching here) → a plain `ConnectorError`.
 * `vendorCode` defaults to `HTTP <status>`; pass the vendor's own code where its body names one.
 */
export function connectorErrorFromHttp(status: number, headers: HttpHeaders, message: string, vendorCode?: string): ConnectorError {
  const code = vendorCode ?? `HTTP ${status}`;
  if (status === 401 || status === 403) return new InvalidCredentialsError(message, code);
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return new RetryableError(message, parseRetryAfter(headerValue(headers, 'retry-after')), code);
  }
  if (status >= 400 && status <= 499) return new PayloadValidationError(message, code);
  return new ConnectorError('connector_error', message, code);
}

/** Header lookup regardless of the case the client used for its keys. */
function headerValue(headers: HttpHeaders, name: string): string | string[] | undefined {
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
