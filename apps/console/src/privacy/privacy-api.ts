import { ApiError, storedKey } from '../api-client';

// What the suppression and consent pages read (apps/api/src/privacy): kept here, not in types.ts.
export interface Suppression {
  id: string;
  identifierType: string;
  value: string;
  channel: string;
  reason: string;
  createdAt: string;
}

export interface SuppressionPage {
  items: Suppression[];
  total: number;
  nextCursor: string | null;
}

export interface ImportReport {
  lines: number;
  added: number;
  alreadySuppressed: number;
  invalid: { line: number; reason: string }[];
  invalidCount: number;
  removals: { activationId: string; syncRunId: string | null }[];
}

export interface ConsentCategory {
  key: string;
  label: string;
  description: string;
  destinationIds: string[];
}

export const IDENTIFIER_TYPES = ['email', 'phone', 'user_id', 'anonymous_id', 'profile_id'];
export const CHANNELS = ['all', 'email', 'sms', 'ads', 'webhook'];

/** The import sends the file itself as the body (text/csv): the API streams it. */
export async function uploadSuppressions(file: Blob, reason: string): Promise<ImportReport> {
  const response = await fetch(`/suppressions/import?reason=${encodeURIComponent(reason)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${storedKey() ?? ''}`, 'content-type': 'text/csv' },
    body: file,
  });
  return answer<ImportReport>(response);
}

/** The export needs the bearer key, so it is fetched and handed to the browser as a download. */
export async function downloadSuppressions(search: string): Promise<void> {
  const response = await fetch(`/suppressions/export${search}`, { headers: { authorization: `Bearer ${storedKey() ?? ''}` } });
  if (!response.ok) await answer(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = 'suppressions.csv';
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok)
    throw new ApiError(
      response.status,
      parsed?.code ?? String(response.status),
      parsed?.message ?? response.statusText,
      parsed?.details ?? [],
      parsed ?? {},
    );
  return parsed as T;
}
