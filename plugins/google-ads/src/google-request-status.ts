import { ConnectorContext } from '@audiencekit/connector-sdk';
import { dataManagerGet } from './google-client';
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
 * How long `upsert` waits for Google to process an ingest (`GET /v1/requestStatus:retrieve`): one poll
 * after each delay (backoff), and all the polling and attribution of one batch within `budgetMs`, so
 * that the whole `upsert` stays inside the core's 30 s call timeout. Mutable for tests.
 */
export const googleStatusPolling = { delaysMs: [500, 1_000, 2_000, 4_000, 6_000] as number[], budgetMs: 20_000 };

/**
 * Polls RetrieveRequestStatus with backoff until Google reports the request processed; undefined
 * when it is still PROCESSING after the last poll (or the status could not be read: the members were
 * accepted, so the caller keeps them delivered and says so in its log).
 */
export async function awaitRequestStatus(ctx: GoogleContext, requestId: string, deadline: number): Promise<ProcessedStatus | undefined> {
  for (const delay of googleStatusPolling.delaysMs) {
    if (Date.now() + delay > deadline || ctx.signal.aborted) break;
    await sleep(delay, ctx.signal);
    let response: RequestStatusResponse;
    try {
      response = await dataManagerGet<RequestStatusResponse>(ctx, `requestStatus:retrieve?requestId=${encodeURIComponent(requestId)}`);
    } catch (error) {
      ctx.logger.warn('google-ads: request status unreadable', {
        requestId,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
    const processed = processedStatus(response);
    if (processed) return processed;
  }
  ctx.logger.warn('google-ads: request still processing after the bounded wait; its members count as delivered', { requestId });
  return undefined;
}

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
