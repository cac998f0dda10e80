// The demo talks to the product through its HTTP API, as a user's script would.
import { TrackMessage } from './demo-events';

export type Call = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

/** An admin-API caller: throws naming the call and the answer when the status is not 2xx. */
export function adminApi(apiUrl: string, adminKey: string): Call {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/** Creates segments through `POST /segments` and queues each one's first refresh (run by the worker). */
export async function createSegments(api: Call, segments: { key: string }[]): Promise<void> {
  for (const segment of segments) {
    const { id } = await api<{ id: string }>('POST', '/segments', { owner: 'demo@audiencekit.local', ...segment });
    await api('POST', `/segments/${id}/refresh`);
  }
}

/** Sends tracking messages through `POST /v1/batch` with a write key, 200 per request. */
export async function track(apiUrl: string, writeKey: string, messages: TrackMessage[]): Promise<void> {
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
