import { ConnectorError, InvalidCredentialsError, parseRetryAfter, PayloadValidationError, RetryableError } from './connector-errors';
import { connectorErrorFromHttp } from './http-errors';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T08:00:00Z');

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1.5', 1_500],
    [7, 7_000],
    [['3', '9'], 3_000],
  ])('reads delay-seconds %p as %p ms', (value, expected) => {
    expect(parseRetryAfter(value as string, now)).toBe(expected);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 08:00:30 GMT', now)).toBe(30_000);
  });

  it('never returns a negative delay for a date in the past', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 07:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBe(0);
  });

  it.each([undefined, null, '', 'soon', 'Tuesday-ish'])('returns undefined for %p, so the core backoff applies', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('connectorErrorFromHttp', () => {
  it.each([401, 403])('maps %i to InvalidCredentialsError', (status) => {
    const error = connectorErrorFromHttp(status, {}, 'refused');
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect(error).toMatchObject({ code: 'invalid_credentials', message: 'refused', vendorCode: `HTTP ${status}` });
  });

  it('maps 429 to RetryableError carrying Retry-After, whatever the header case', () => {
    const lower = connectorErrorFromHttp(429, { 'retry-after': '12' }, 'slow down');
    const upper = connectorErrorFromHttp(429, { 'Retry-After': ['4'] }, 'slow down');
    expect(lower).toBeInstanceOf(RetryableError);
    expect((lower as RetryableError).retryAfterMs).toBe(12_000);
    expect((upper as RetryableError).retryAfterMs).toBe(4_000);
  });

  it('leaves retryAfterMs undefined without a readable header', () => {
    const error = connectorErrorFromHttp(429, { 'retry-after': 'later' }, 'slow down');
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBeUndefined();
  });

  it.each([500, 502, 503, 504, 408])('maps %i to RetryableError', (status) => {
    expect(connectorErrorFromHttp(status, {}, 'vendor down')).toBeInstanceOf(RetryableError);
  });

  it.each([400, 404, 409, 413, 422])('maps %i to PayloadValidationError', (status) => {
    const error = connectorErrorFromHttp(status, {}, 'bad body', 'invalid_field');
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.vendorCode).toBe('invalid_field');
  });

  it('maps an unexpected non-error status to a plain connector_error', () => {
    const error = connectorErrorFromHttp(302, {}, 'redirected');
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).not.toBeInstanceOf(RetryableError);
    expect(error.code).toBe('connector_error');
  });
});
