/**
 * The closed set of errors a connector may throw across the plugin boundary. The core decides what
 * happens next (retry with backoff, fail the run fast, record per member); a plugin never retries
 * on its own. Anything else a plugin throws is treated as a `connector_error` of the whole batch.
 */
export type ConnectorErrorCode = 'invalid_credentials' | 'payload_validation' | 'retryable' | 'connector_error';

export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    /** Vendor's own code or status, for the run record (e.g. `21610`, `HTTP 400`). */
    readonly vendorCode?: string,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** The vendor refused the credentials: the run fails fast, with no retries. */
export class InvalidCredentialsError extends ConnectorError {
  constructor(message: string, vendorCode?: string) {
    super('invalid_credentials', message, vendorCode);
    this.name = 'InvalidCredentialsError';
  }
}

/** The vendor refused the request's shape: a bug or a setting, not something a retry fixes. */
export class PayloadValidationError extends ConnectorError {
  constructor(message: string, vendorCode?: string) {
    super('payload_validation', message, vendorCode);
    this.name = 'PayloadValidationError';
  }
}

export interface RetryHints {
  /** The vendor asked to be called less often (queue overflow): the core lowers the rate for this destination. */
  slowDown?: boolean;
}

/** A transient failure (429, 5xx, timeout): the core retries the whole batch after `retryAfterMs`. */
export class RetryableError extends ConnectorError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    vendorCode?: string,
    readonly hints: RetryHints = {},
  ) {
    super('retryable', message, vendorCode);
    this.name = 'RetryableError';
  }
}

export const isConnectorError = (error: unknown): error is ConnectorError => error instanceof ConnectorError;

/**
 * Reads an HTTP `Retry-After` header (seconds, or an HTTP date) as milliseconds from `now`.
 * Returns undefined when absent or unreadable, so the core's backoff applies.
 */
export function parseRetryAfter(value: string | string[] | number | undefined | null, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(String(raw));
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
