import { useEffect } from 'react';
import { formatDate, formatNumber } from '../format';
import type { SyncRun } from '../types';
import { Rejections, RunControls } from '../run-controls';
import { useApi } from '../use-api';

// The funnel a marketer asks about, in pipeline order; other counts are listed after it.
const STAGES: [string, string][] = [
  ['considered', 'Considered'],
  ['heldOutGlobal', 'Held out (global)'],
  ['heldOutActivation', 'Held out (activation)'],
  ['suppressed', 'Suppressed'],
  ['invalid', 'Missing identifiers'],
  ['added', 'Added'],
  ['sent', 'Sent'],
  ['removed', 'Removed'],
  ['rejected', 'Rejected'],
  ['failed', 'Failed'],
];

export const isTerminal = (status: string | undefined) => status !== undefined && status !== 'queued' && status !== 'running';

/** One sync run, polled every second until it is finished, with counts per stage. */
export function SyncRunView({ runId, onFinished }: { runId: string; onFinished?: () => void }) {
  const run = useApi<SyncRun>(`/sync-runs/${runId}`, { pollMs: 1000, poll: (data) => !isTerminal(data?.status) });
  const data = run.data;
  const terminal = isTerminal(data?.status);
  useEffect(() => {
    if (terminal) onFinished?.();
    // Once per run reaching its end, not on every render of the parent.
  }, [terminal]);
  if (!data) return <p>Loading run…</p>;
  const considered = data.counts.considered ?? 0;
  const known = new Set(STAGES.map(([key]) => key));
  const extra = Object.entries(data.counts).filter(([key]) => !known.has(key));
  return (
    <section className="card" aria-label={`Sync run ${runId}`} data-status={data.status}>
      <h3>
        Run {runId.slice(0, 8)}{' '}
        <span className={`badge badge-${data.status}`} role="status">
          {data.status}
        </span>
        {data.dryRun && <span className="badge">dry run</span>}
      </h3>
      <p className="muted">
        queued {formatDate(data.queuedAt)}
        {data.durationMs !== null && ` · took ${(data.durationMs / 1000).toFixed(1)} s`}
      </p>
      {!data.dryRun && <RunControls basePath={`/sync-runs/${runId}`} status={data.status} onChanged={run.reload} />}
      <table aria-label="Counts per stage">
        <tbody>
          {STAGES.filter(([key]) => key in data.counts || key === 'considered').map(([key, label]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td className="number">{formatNumber(data.counts[key] ?? 0)}</td>
              <td className="bar-cell" aria-hidden="true">
                <span
                  className="stage-bar"
                  style={{ width: `${considered ? Math.min(100, ((data.counts[key] ?? 0) / considered) * 100) : 0}%` }}
                />
              </td>
            </tr>
          ))}
          {extra.map(([key, value]) => (
            <tr key={key} className="muted">
              <th scope="row">{key}</th>
              <td className="number">{formatNumber(value)}</td>
              <td />
            </tr>
          ))}
        </tbody>
      </table>
      {data.errors.length > 0 && (
        <ul className="error-text" aria-label="Errors">
          {data.errors.map((error, index) => (
            <li key={index}>
              {error.code}: {error.message}
            </li>
          ))}
        </ul>
      )}
      {terminal && <Rejections runId={runId} />}
    </section>
  );
}
