import {
  ConnectorError,
  connectorErrorFromHttp,
  InvalidCredentialsError,
  parseRetryAfter,
  refusedTargetIn,
  RetryableError,
} from '@audiencekit/connector-sdk';

/** What a failed Messages create means for the member it was for, or for the whole batch. */
export type TwilioFailure =
  | { scope: 'member'; reason: string; code: string; suppress?: { identifier: 'phone'; reason: string } }
  | { scope: 'batch'; error: ConnectorError };

/**
 * Error codes about one recipient (Twilio's error dictionary): the member is rejected and the batch
 * goes on. 21610: the recipient replied STOP; 21211: invalid To; 21408: region not enabled;
 * 21612: unroutable; 21614: not a mobile number; 21617: body over 1,600 characters; 21635: landline.
 */
const RECIPIENT_CODES: Record<number, string> = {
  21211: "invalid 'To' phone number",
  21408: 'sending to this region is not enabled',
  21610: 'recipient replied STOP',
  21612: "'To' number cannot be reached from this sender",
  21614: "'To' number is not a mobile number",
  21617: 'message body exceeds 1,600 characters',
  21635: "'To' number is a landline",
};

/** Queue overflow: 21611 on create for a From number, 30001 for a Messaging Service's pool. */
const QUEUE_FULL_CODES = new Set([21611, 30001]);

/** The JSON error body Twilio answers with (`code`, `message`, `more_info`, `status`), as RestException carries it. */
export interface TwilioRestError {
  status: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

export function asRestError(error: unknown): TwilioRestError | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const candidate = error as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown };
  if (typeof candidate.status !== 'number') return undefined;
  return {
    status: candidate.status,
    code: typeof candidate.code === 'number' ? candidate.code : undefined,
    message: typeof candidate.message === 'string' ? candidate.message : undefined,
    moreInfo: typeof candidate.moreInfo === 'string' ? candidate.moreInfo : undefined,
  };
}

/**
 * Classifies a failure. Per recipient: the codes above. For the batch: 429/20429 → retryable after
 * Retry-After; 21611/30001 → retryable with `slowDown`; 20003 or 401/403 → invalid credentials;
 * 5xx or no answer → retryable; any other refusal (a From that cannot send, a bad Messaging Service)
 * → payload validation, since it would fail every member alike.
 */
export function classifyTwilioError(error: unknown, headers: Record<string, string>): TwilioFailure {
  const refused = refusedTargetIn(error); // the SDK's SSRF guard: a setting to fix, not a retry
  if (refused) return { scope: 'batch', error: refused };
  const rest = asRestError(error);
  if (!rest)
    return {
      scope: 'batch',
      error: new RetryableError(`Twilio request failed: ${error instanceof Error ? error.message : String(error)}`, undefined, 'network'),
    };
  const code = rest.code;
  const label = `Twilio ${rest.status}${code ? ` ${code}` : ''}: ${rest.message ?? 'no message'}`;
  const vendorCode = code ? String(code) : `HTTP ${rest.status}`;
  if (code !== undefined && RECIPIENT_CODES[code]) {
    const failure: TwilioFailure = { scope: 'member', reason: `${RECIPIENT_CODES[code]} (${code})`, code: String(code) };
    return code === 21610 ? { ...failure, suppress: { identifier: 'phone', reason: 'replied STOP (21610)' } } : failure;
  }
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  if (rest.status === 429 || code === 20429) return { scope: 'batch', error: new RetryableError(label, retryAfterMs, vendorCode) };
  if (code !== undefined && QUEUE_FULL_CODES.has(code))
    return { scope: 'batch', error: new RetryableError(label, retryAfterMs, vendorCode, { slowDown: true }) };
  if (code === 20003) return { scope: 'batch', error: new InvalidCredentialsError(label, vendorCode) };
  return { scope: 'batch', error: connectorErrorFromHttp(rest.status, headers, label, vendorCode) };
}

/** A message created but failed at once with a queue overflow (30001) is the same signal as 21611. */
export function createdButFailed(message: {
  status?: string;
  errorCode?: number | null;
  errorMessage?: string | null;
}): TwilioFailure | undefined {
  if (message.status !== 'failed' || !message.errorCode) return undefined;
  return classifyTwilioError({ status: 400, code: message.errorCode, message: message.errorMessage ?? 'message failed' }, {});
}
