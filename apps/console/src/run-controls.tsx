import { useState } from 'react';
import { api, describeError } from './api-client';
import { formatDate, formatNumber } from './format';
import type { Page } from './types';
import { useApi } from './use-api';

const CANCELLABLE = new Set(['queued', 'running', 'awaiting_confirmation']);
const RETRYABLE = new Set(['failed', 'partial', 'cancelled']);

/**
 * Cancel and Retry of one run (a refresh or a sync): `basePath` is the run's path in the API
 * (`/sync-runs/<id>` or `/segments/<id>/runs/<runId>`). A running run stops at its next safe point
 * (a sync after its in-flight batch, a refresh before it commits); a retry is a new run.
 */
export function RunControls({ basePath, status, onChanged }: { basePath: string; status: string; onChanged: () => void }) {
  const [message, setMessage] = useState<string>();
  const act = async (action: 'cancel' | 'retry') => {
    try {
      const result = await api<{ id: string; status: string }>('POST', `${basePath}/${action}`);
      setMessage(
        action === 'cancel' ? `Cancel requested (${result.status})` : `Retried as run ${result.id.slice(0, 8)} (${result.status})`,
      );
      onChanged();
    } catch (error) {
      setMessage(describeError(error));
    }
  };
  if (!CANCELLABLE.has(status) && !RETRYABLE.has(status)) return null;
  return (
    <span className="run-controls" role="group" aria-label="Run controls">
      {CANCELLABLE.has(status) && (
        <button type="button" onClick={() => act('cancel')}>
          Cancel run
        </button>
      )}
      {RETRYABLE.has(status) && (
        <button type="button" onClick={() => act('retry')}>
          Retry
        </button>
      )}
      {message && <span role="status"> {message}</span>}
    </span>
  );
}

interface Rejection {
  profileId: string;
  kind: string;
  reason: string;
  code: string | null;
  at: string;
}

const REJECTIONS_PAGE = 20;

/** The records a sync run could not deliver, with the reason (GET /sync-runs/:id/rejections), a page at a time. */
export function Rejections({ runId }: { runId: string }) {
  const [offset, setOffset] = useState(0);
  const page = useApi<Page<Rejection>>(`/sync-runs/${runId}/rejections?limit=${REJECTIONS_PAGE}&offset=${offset}`);
  const data = page.data;
  if (!data || data.total === 0) return null;
  return (
    <section aria-label="Rejected records">
      <h4>
        Rejected records ({formatNumber(offset + 1)}–{formatNumber(offset + data.items.length)} of {formatNumber(data.total)})
      </h4>
      <table aria-label="Rejections">
        <thead>
          <tr>
            <th scope="col">Profile</th>
            <th scope="col">Kind</th>
            <th scope="col">Reason</th>
            <th scope="col">Code</th>
            <th scope="col">At</th>
          </tr>
        </thead>
        <tbody>
          {data.items.map((item) => (
            <tr key={item.profileId}>
              <td>
                <code>{item.profileId}</code>
              </td>
              <td>{item.kind}</td>
              <td>{item.reason}</td>
              <td>{item.code ?? '–'}</td>
              <td>{formatDate(item.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - REJECTIONS_PAGE))}>
        Previous
      </button>
      <button type="button" disabled={offset + data.items.length >= data.total} onClick={() => setOffset(offset + REJECTIONS_PAGE)}>
        Next
      </button>
    </section>
  );
}
