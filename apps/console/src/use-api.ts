import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, describeError } from './api-client';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  /** HTTP status of the last failure (404: nothing there yet). */
  errorStatus: number | undefined;
  reload: () => void;
}

/** GETs `path` (null: nothing yet) and reloads on demand or every `pollMs` while `poll` holds. */
export function useApi<T>(path: string | null, options: { pollMs?: number; poll?: (data: T | undefined) => boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [errorStatus, setErrorStatus] = useState<number>();
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  const { pollMs, poll } = options;
  const polling = pollMs !== undefined && (poll ? poll(data) : true);

  useEffect(() => {
    if (!path) return;
    let live = true;
    api<T>('GET', path).then(
      (body) => live && (setData(body), setError(undefined), setErrorStatus(undefined)),
      (failure: unknown) =>
        live && (setError(describeError(failure)), setErrorStatus(failure instanceof ApiError ? failure.status : undefined)),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);

  useEffect(() => {
    if (!polling) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [polling, pollMs, reload]);

  return { data, error, errorStatus, reload };
}
