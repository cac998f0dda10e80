// The demo talks to the product through its HTTP API, as a user's script would.

export type Call = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

/** A non-2xx answer of the admin API: the status, and the error body's `message` when it has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    call: string,
  ) {
    super(`${call}: HTTP ${status} ${reason}`);
    this.name = 'ApiError';
  }
}

/** An admin-API caller: throws an ApiError naming the call and the answer when the status is not 2xx. */
export function adminApi(apiUrl: string, adminKey: string): Call {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new ApiError(response.status, errorReason(await response.text()), `${method} ${path}`);
    return (await response.json()) as T;
  };
}

/** `code: message` of the API's error body (the whole text when it is not one). */
function errorReason(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.message === 'string') return typeof body.code === 'string' ? `${body.code}: ${body.message}` : body.message;
  } catch {
    // not JSON: the text as it came
  }
  return text;
}

/** Creates segments through `POST /segments` and queues each one's first refresh (run by the worker); returns their ids by key. */
export async function createSegments(
  api: Call,
  segments: readonly { key: string; [field: string]: unknown }[],
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const segment of segments) {
    const { id } = await api<{ id: string }>('POST', '/segments', { owner: 'demo@audiencekit.local', ...segment });
    await api('POST', `/segments/${id}/refresh`);
    ids.set(segment.key, id);
  }
  return ids;
}

export interface SegmentRun {
  status: string;
  size: number | null;
}

/** Waits for a segment's latest refresh to end (succeeded or failed). */
export async function awaitFirstRefresh(api: Call, key: string, segmentId: string): Promise<SegmentRun> {
  const runs = await poll(
    `the first refresh of ${key}`,
    () => api<{ items: SegmentRun[] }>('GET', `/segments/${segmentId}/runs?limit=1`),
    (page) => ['succeeded', 'failed'].includes(page.items[0]?.status ?? ''),
  );
  return runs.items[0];
}

/** Sends tracking messages (track, page, …) through `POST /v1/batch` with a write key, 200 per request. */
export async function track(apiUrl: string, writeKey: string, messages: readonly { type: string; messageId: string }[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 200) {
    const response = await fetch(`${apiUrl}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: messages.slice(start, start + 200) }),
    });
    if (!response.ok) throw new Error(`tracking demo events: HTTP ${response.status} ${await response.text()}`);
  }
}

/** Polls `read` every 250 ms until `done` holds of its value, or fails after `timeoutMs`. */
export async function poll<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
