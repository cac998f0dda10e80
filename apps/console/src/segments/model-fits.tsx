import { useEffect, useRef, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatDate, formatFixed, formatNumber, formatPercent } from '../format';
import { useApi } from '../use-api';

/** A model fit job as GET /segments/:id/fits and /segments/fits/:jobId answer it (#21). */
export interface FitJob {
  id: string;
  kind: 'create' | 'update' | 'refit' | 'choose_k';
  segmentId: string | null;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  stage: string;
  progress: number;
  work: number;
  url: string;
  createdAt: string;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
}

/** The headline figures GET /segments/:id/versions gives each version with a model. */
interface ModelMetrics {
  kind: string;
  fittedAt: string;
  profiles: number;
  silhouette?: number;
  clusterSizes?: number[];
  heldOutAuc?: number;
  trainAuc?: number;
  positives?: number;
  /** clv: customers with a repeat order, the two log-likelihoods, the horizon and tier thresholds. */
  repeatCustomers?: number;
  bgNbdLogLikelihood?: number;
  gammaGammaLogLikelihood?: number;
  horizonDays?: number;
  thresholds?: { top: number; bottom: number };
}

interface VersionMetrics {
  version: number;
  metrics: ModelMetrics | null;
  previousMetrics: (ModelMetrics & { version: number }) | null;
}

const active = (job: FitJob) => job.state === 'queued' || job.state === 'running';

/** One row per figure: this version's value beside the previous version's. */
export function metricRows(current: ModelMetrics, previous: ModelMetrics | null): [string, string, string][] {
  const both = (label: string, read: (m: ModelMetrics) => string): [string, string, string] => [
    label,
    read(current),
    previous ? read(previous) : '—',
  ];
  const rows = [
    both(current.kind === 'clv' ? 'Customers' : 'Profiles', (m) => formatNumber(m.profiles)),
    both('Fitted', (m) => formatDate(m.fittedAt)),
  ];
  if (current.kind === 'clv') {
    rows.push(both('Repeat customers', (m) => formatNumber(m.repeatCustomers)));
    rows.push(both('BG/NBD log-likelihood', (m) => formatFixed(m.bgNbdLogLikelihood, 1)));
    rows.push(both('Gamma-Gamma log-likelihood', (m) => formatFixed(m.gammaGammaLogLikelihood, 1)));
    rows.push(both('Horizon (days)', (m) => formatNumber(m.horizonDays)));
    rows.push(both('Top tier from (value)', (m) => formatFixed(m.thresholds?.top, 2)));
  } else if (current.kind === 'cluster') {
    rows.push(both('Silhouette', (m) => formatFixed(m.silhouette, 3)));
    rows.push(both('Cluster sizes', (m) => (m.clusterSizes ?? []).map(formatNumber).join(' / ')));
  } else {
    rows.push(both('Held-out AUC', (m) => formatFixed(m.heldOutAuc, 3)));
    rows.push(both('Train AUC', (m) => formatFixed(m.trainAuc, 3)));
    rows.push(both('Positives', (m) => formatNumber(m.positives)));
  }
  return rows;
}

/**
 * The model card of a cluster / propensity / clv segment: fits run in the worker, so a refit (or a
 * change) shows its progress here while it runs (polled every second), then the new version's
 * metrics beside the previous version's.
 */
export function ModelFits({ segmentId, refitCadence, onFitted }: { segmentId: string; refitCadence: string | null; onFitted: () => void }) {
  const [message, setMessage] = useState<string>();
  const fits = useApi<FitJob[]>(`/segments/${segmentId}/fits?limit=5`, {
    pollMs: 1000,
    poll: (data) => Boolean(data?.some(active)),
  });
  const versions = useApi<VersionMetrics[]>(`/segments/${segmentId}/versions`);
  const running = fits.data?.find(active);
  // A job that was running and has finished: reload the segment and its versions.
  const wasRunning = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (running) wasRunning.current = running.id;
    else if (wasRunning.current) {
      wasRunning.current = undefined;
      versions.reload();
      onFitted();
    }
  }, [running, versions, onFitted]);

  const refit = async () => {
    try {
      await api('POST', `/segments/${segmentId}/refit`);
      setMessage('Refit queued: the worker fits it');
      fits.reload();
    } catch (error) {
      setMessage(describeError(error));
    }
  };
  const latest = [...(versions.data ?? [])].sort((a, b) => b.version - a.version)[0];
  return (
    <section className="card" aria-labelledby="fits-title">
      <div className="page-head">
        <h2 id="fits-title">Model fits</h2>
        <button type="button" onClick={refit} disabled={Boolean(running)}>
          Refit now
        </button>
      </div>
      <p>Refit cadence: {refitCadence ?? 'only when asked'}</p>
      <p role="status">{message}</p>
      {running && (
        <div className="fit-progress" data-state={running.state} style={{ display: 'flex', gap: '0.75rem', alignItems: 'center' }}>
          <progress max={1} value={running.progress} aria-label="Fit progress" />
          <span>
            {running.kind} {running.state}: {running.stage} ({formatPercent(running.progress, 0)})
          </span>
        </div>
      )}
      {latest?.metrics && (
        <table aria-label="Model metrics">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">v{latest.version}</th>
              <th scope="col">{latest.previousMetrics ? `v${latest.previousMetrics.version}` : 'previous'}</th>
            </tr>
          </thead>
          <tbody>
            {metricRows(latest.metrics, latest.previousMetrics).map(([label, now, before]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{now}</td>
                <td>{before}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <table aria-label="Fit jobs">
        <thead>
          <tr>
            <th scope="col">Queued</th>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col">Stage</th>
          </tr>
        </thead>
        <tbody>
          {fits.data?.map((job) => (
            <tr key={job.id} data-state={job.state}>
              <td>{formatDate(job.createdAt)}</td>
              <td>{job.kind}</td>
              <td>
                <span className={`badge badge-${job.state}`}>{job.state}</span>
                {job.error && <div className="error-text">{job.error.message}</div>}
              </td>
              <td>{job.stage}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {fits.data?.length === 0 && <p>No fit job yet.</p>}
    </section>
  );
}
