/**
 * The closed set of errors a connector may throw across the plugin boundary. The core decides what
 * happens next (retry with backoff, fail the run fast, record per member); a plugin never retries
 * on its own.
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

/** A transient failure (429, 5xx, timeout): the core retries the whole batch after `retryAfterMs`. */
export class RetryableError extends ConnectorError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    vendorCode?: string,
  ) {
    super('retryable', message, vendorCode);
    this.name = 'RetryableError';
  }
}
