import type { Client } from '@sendgrid/client';
import { sendgridRequest } from '../sendgrid-client';

/** ContactImport in SendGrid's OpenAPI file: the answer of GET /v3/marketing/contacts/imports/{id}. */
export interface ContactImport {
  id: string;
  /** `pending` (not started), `completed` (no errors), `errored` (some errors), `failed` (all errors). */
  status: 'pending' | 'completed' | 'errored' | 'failed' | string;
  job_type?: string;
  results?: { requested_count?: number; created_count?: number; updated_count?: number; errored_count?: number; errors_url?: string };
}

export interface PollOptions {
  /** Waits before each status request; the last one repeats until `maxWaitMs`. */
  delaysMs: readonly number[];
  /** Give up waiting after this long and report the job as still pending. */
  maxWaitMs: number;
}

/** Real imports take seconds to minutes: poll after 1 s, 2 s, 4 s, then every 5 s, for up to 2 minutes. */
export const DEFAULT_POLL: PollOptions = { delaysMs: [1_000, 2_000, 4_000, 5_000], maxWaitMs: 120_000 };

/**
 * Polls an import job until it leaves `pending`, the wait runs out or the core's signal aborts
 * (both answer the last status seen). Transient errors of a status request propagate as
 * `RetryableError`: the upsert is idempotent by e-mail, so the core may safely send it again.
 */
export async function waitForImport(client: Client, jobId: string, poll: PollOptions, signal: AbortSignal): Promise<ContactImport> {
  const started = Date.now();
  let last: ContactImport = { id: jobId, status: 'pending' };
  for (let attempt = 0; ; attempt += 1) {
    const delay = poll.delaysMs[Math.min(attempt, poll.delaysMs.length - 1)] ?? 1_000;
    if (Date.now() - started + delay > poll.maxWaitMs || !(await sleep(delay, signal))) return last;
    const { body } = await sendgridRequest<ContactImport>(client, {
      method: 'GET',
      url: `/v3/marketing/contacts/imports/${encodeURIComponent(jobId)}`,
    });
    last = body;
    if (last.status !== 'pending') return last;
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
