import { useEffect, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatDate, formatNumber } from '../format';
import type { SyncRun, SyncRunReconciliation } from '../types';
import { Rejections, RunControls } from '../run-controls';
import { useApi } from '../use-api';

// Counts shown in the reconciliation table instead of among the extra counts.
const RECONCILED = new Set(['vendorReceived', 'vendorInvalid', 'audienceSize', 'heldAtVendor']);

// The funnel a marketer asks about, in pipeline order; other counts are listed after it.
const STAGES: [string, string][] = [
  ['considered', 'Considered'],
  ['heldOutGlobal', 'Held out (global)'],
  ['heldOutActivation', 'Held out (activation)'],
  ['suppressed', 'Suppressed'],
  ['outranked', 'In a higher priority entry'],
  ['excluded', 'Excluded'],
  ['invalid', 'Missing identifiers'],
  ['capped', 'Frequency capped'],
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
  const extra = Object.entries(data.counts).filter(([key]) => !known.has(key) && !RECONCILED.has(key));
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
      {data.status === 'awaiting_confirmation' && <HeldRun run={data} onConfirmed={run.reload} />}
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
      {data.pendingVendorConfirmation && (
        <p className="muted" role="status">
          {data.pendingVendorConfirmation.summary} (members the vendor drops become rejections of this run)
        </p>
      )}
      {data.reconciliation && <Reconciliation reconciliation={data.reconciliation} />}
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

const count = (value: number | null) => (value === null ? '—' : formatNumber(value));

/** What the vendor reported back beside what was sent, and the match rate (flagged when it dropped). */
function Reconciliation({ reconciliation: r }: { reconciliation: SyncRunReconciliation }) {
  return (
    <table aria-label="Match reconciliation">
      <caption>Match reconciliation (what the vendor reported back)</caption>
      <tbody>
        <tr>
          <th scope="row">Sent</th>
          <td className="number">{formatNumber(r.sent)}</td>
        </tr>
        <tr>
          <th scope="row">Received by the vendor</th>
          <td className="number">{count(r.vendorReceived)}</td>
        </tr>
        <tr>
          <th scope="row">Invalid (vendor)</th>
          <td className="number">{count(r.vendorInvalid)}</td>
        </tr>
        <tr>
          <th scope="row">Audience size (vendor)</th>
          <td className="number">{count(r.audienceSize)}</td>
        </tr>
        <tr>
          <th scope="row">Held at the vendor</th>
          <td className="number">{count(r.heldAtVendor)}</td>
        </tr>
        <tr className={r.matchRateDropped ? 'error-text' : undefined}>
          <th scope="row">Match rate</th>
          <td className="number">
            {r.matchRate === null ? '—' : `${(r.matchRate * 100).toFixed(1)}%`}
            {r.matchRateDropped && (
              <>
                {' '}
                <span className="badge badge-failed">dropped</span>
              </>
            )}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

const GATE_NAMES: Record<string, string> = {
  mass_send: 'mass send',
  mass_removal: 'mass removal',
  refresh_quality: 'suspect refresh',
};

/**
 * A run held by a safety gate (the mass-send guard, the mass-removal gate, or a refresh outside the
 * card's thresholds): why, in the engine's words, and the marketer's Confirm (POST /sync-runs/:id/confirm).
 */
function HeldRun({ run, onConfirmed }: { run: SyncRun; onConfirmed: () => void }) {
  const [error, setError] = useState<string>();
  const guard = run.plan?.guard ?? {};
  const gates = (guard.gates ?? ['mass_send']).map((gate) => GATE_NAMES[gate] ?? gate);
  const confirm = async () => {
    try {
      await api('POST', `/sync-runs/${run.id}/confirm`);
      setError(undefined);
      onConfirmed();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <div className="card" role="group" aria-label="Held for confirmation">
      <p>Held for confirmation ({gates.join(', ')}): nothing is sent or removed until a marketer confirms.</p>
      <ul aria-label="Why it is held">
        {(guard.reasons ?? []).map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
      {error && <p role="alert">{error}</p>}
      <button type="button" className="primary" onClick={confirm}>
        Confirm this run
      </button>
    </div>
  );
}
