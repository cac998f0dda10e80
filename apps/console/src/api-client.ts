// The console talks to the same admin API as everyone else: bearer key, JSON in and out.
// The key lives in sessionStorage (gone when the tab closes) and never in a URL.
const KEY_STORAGE = 'audiencekit.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path?: string; message: string }[] = [],
    /** The whole error body: some codes carry more (409 confirmation_required: confirmationToken, count). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** "definition.match.conditions[0].event: is required" — the field the API named, then why. */
  describe(): string {
    if (this.details.length === 0) return this.message;
    return this.details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
  }
}

export const storedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY_STORAGE, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_STORAGE);

export async function api<T>(method: string, path: string, body?: unknown, key = storedKey()): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${key ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = parsed?.error ?? parsed ?? {};
    throw new ApiError(
      response.status,
      error.code ?? String(response.status),
      error.message ?? response.statusText,
      error.details ?? [],
      error,
    );
  }
  return parsed as T;
}

export const describeError = (error: unknown): string =>
  error instanceof ApiError ? error.describe() : error instanceof Error ? error.message : String(error);
