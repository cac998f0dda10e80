import type { ConnectorContext, PendingVendorRequest, VendorRequestCheck } from '@audiencekit/connector-sdk';
import { dataManagerGet, GoogleApiFailure, googleError } from './google-client';
import type { GoogleSecrets, GoogleSettings } from './google-settings';

type GoogleContext = Omit<ConnectorContext<GoogleSettings, GoogleSecrets>, 'audience'>;

/** RetrieveRequestStatusResponse (ingestion_service.proto, request_status_per_destination.proto), the parts read here. */
export interface RequestStatusResponse {
  requestStatusPerDestination?: {
    requestStatus?: 'REQUEST_STATUS_UNKNOWN' | 'SUCCESS' | 'PROCESSING' | 'FAILED' | 'PARTIAL_SUCCESS';
    errorInfo?: { errorCounts?: { recordCount?: string | number; reason?: string }[] };
    audienceMembersIngestionStatus?: { userDataIngestionStatus?: { recordCount?: string | number } };
  }[];
}

/** The outcome of a request once Google has processed it. */
export interface ProcessedStatus {
  /** SUCCESS, PARTIAL_SUCCESS or FAILED (over every destination of the request). */
  status: 'SUCCESS' | 'PARTIAL_SUCCESS' | 'FAILED';
  /** Records dropped, by ProcessingErrorReason (e.g. PROCESSING_ERROR_REASON_NO_CONSENT). */
  errorCounts: Map<string, number>;
  failed: number;
}

/**
 * The short first look `upsert` takes at a new ingest (`GET /v1/requestStatus:retrieve`): one poll
 * after each delay, all the polling and attribution of one batch within `budgetMs`. Google's
 * Diagnostics page advises a first check 30 minutes after the ingest, so against the real API this
 * mostly ends on PROCESSING; the request is then reported pending (`ctx.reportPendingRequest`) and
 * the core asks `checkRequests` later. Mutable for tests.
 */
export const googleStatusPolling = { delaysMs: [500, 1_500] as number[], budgetMs: 3_000 };

/**
 * Polls RetrieveRequestStatus with backoff until Google reports the request processed; undefined
 * when it is still PROCESSING after the last poll of the first look, or the status could not be read
 * (the caller leaves the request pending for the core's later check).
 */
export async function awaitRequestStatus(ctx: GoogleContext, requestId: string, deadline: number): Promise<ProcessedStatus | undefined> {
  for (const delay of googleStatusPolling.delaysMs) {
    if (Date.now() + delay > deadline || ctx.signal.aborted) break;
    await sleep(delay, ctx.signal);
    let response: RequestStatusResponse;
    try {
      response = await readRequestStatus(ctx, requestId);
    } catch (error) {
      ctx.logger.warn('google-ads: request status unreadable; left for the later check', {
        requestId,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
    const processed = processedStatus(response);
    if (processed) return processed;
  }
  return undefined;
}

/** RetrieveRequestStatus of one request (failures as `GoogleApiFailure`). */
export const readRequestStatus = (ctx: GoogleContext, requestId: string): Promise<RequestStatusResponse> =>
  dataManagerGet<RequestStatusResponse>(ctx, `requestStatus:retrieve?requestId=${encodeURIComponent(requestId)}`);

/**
 * The later check of requests `upsert` left pending (`checkRequests`): one RetrieveRequestStatus each.
 * Still PROCESSING → `processing`; SUCCESS → processed, nobody dropped; FAILED (or as many records
 * dropped as the request carried) → every member rejected with Google's main reason and the counts;
 * PARTIAL_SUCCESS → Google's counts name no member, so the dropped count is `unattributed` (the core
 * records a warning; the split-and-retry of the first look needs the members' identifiers, which the
 * core does not keep). A status that cannot be read is left out (asked again later), except refused
 * credentials, which throw `InvalidCredentialsError` like every other call.
 */
export async function checkPendingRequests(ctx: GoogleContext, requests: readonly PendingVendorRequest[]): Promise<VendorRequestCheck[]> {
  const checks: VendorRequestCheck[] = [];
  for (const request of requests) {
    let response: RequestStatusResponse;
    try {
      response = await readRequestStatus(ctx, request.requestId);
    } catch (error) {
      if (error instanceof GoogleApiFailure && (error.status === 401 || error.status === 403)) throw googleError(error);
      if (!(error instanceof GoogleApiFailure)) throw error;
      ctx.logger.warn('google-ads: request status unreadable; asked again later', { requestId: request.requestId, status: error.status });
      continue;
    }
    const status = processedStatus(response);
    checks.push(status ? processedCheck(request, status) : { requestId: request.requestId, state: 'processing' });
  }
  return checks;
}

function processedCheck(request: PendingVendorRequest, status: ProcessedStatus): VendorRequestCheck {
  const { requestId, profileIds } = request;
  if (status.status === 'SUCCESS' || status.failed === 0) return { requestId, state: 'processed', rejected: [] };
  const reason = mainReason(status);
  if (status.status === 'FAILED' || status.failed >= profileIds.length) {
    const text = `Google dropped the member while processing request ${requestId}: ${countsText(status)}`;
    return { requestId, state: 'processed', rejected: profileIds.map((profileId) => ({ profileId, reason: text, code: reason })) };
  }
  return { requestId, state: 'processed', rejected: [], unattributed: { count: status.failed, reason: countsText(status) } };
}

/** `PROCESSING_ERROR_REASON_NO_CONSENT ×2, …` */
export const countsText = (status: ProcessedStatus): string =>
  [...status.errorCounts].map(([name, count]) => `${name} ×${count}`).join(', ');

/** The request's status over its destinations, or undefined while any is PROCESSING (or unknown). */
export function processedStatus(response: RequestStatusResponse): ProcessedStatus | undefined {
  const perDestination = response.requestStatusPerDestination ?? [];
  if (perDestination.length === 0) return undefined;
  const errorCounts = new Map<string, number>();
  let failed = 0;
  const statuses = new Set<string>();
  for (const destination of perDestination) {
    statuses.add(destination.requestStatus ?? 'REQUEST_STATUS_UNKNOWN');
    let failedHere = 0;
    for (const count of destination.errorInfo?.errorCounts ?? []) {
      const records = Number(count.recordCount ?? 0);
      const reason = count.reason ?? 'PROCESSING_ERROR_REASON_UNSPECIFIED';
      errorCounts.set(reason, Math.max(errorCounts.get(reason) ?? 0, records));
      failedHere += records;
    }
    failed = Math.max(failed, failedHere);
  }
  if (statuses.has('PROCESSING') || statuses.has('REQUEST_STATUS_UNKNOWN')) return undefined;
  const status = statuses.has('FAILED') ? 'FAILED' : statuses.has('PARTIAL_SUCCESS') ? 'PARTIAL_SUCCESS' : 'SUCCESS';
  return { status, errorCounts, failed };
}

/** The reason with the most records, as the members' rejection code. */
export const mainReason = (status: ProcessedStatus): string =>
  [...status.errorCounts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'PROCESSING_ERROR_REASON_UNSPECIFIED';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    // The listener goes when the timer fires: one signal serves many polls of a batch.
    const abort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
