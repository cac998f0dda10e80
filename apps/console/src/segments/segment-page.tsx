import { useState } from 'react';
import { api, describeError } from '../api-client';
import { formatDate, formatNumber, formatPercent } from '../format';
import type { Page, Segment, SegmentRun, SegmentVersion } from '../types';
import { RunControls } from '../run-controls';
import { ListUpload, MembersExport } from './list-and-export';
import { useApi } from '../use-api';
import { describeCadence, REALTIME } from './cadence';
import { DefinitionView, VersionDiff } from './definition-view';
import { LiveFeed } from './live-feed';
import { ModelCharts } from './model-charts';
import { ModelDriftCard } from './model-drift';
import { ModelFits } from './model-fits';
import { RfmGrid } from './rfm-grid';

const qualityFlags = (run: SegmentRun): string[] =>
  [run.quality?.empty && 'empty', run.quality?.notSubstantial && 'not substantial', run.quality?.unstable && 'unstable'].filter(
    (flag): flag is string => Boolean(flag),
  );

function Runs({ segmentId }: { segmentId: string }) {
  const [message, setMessage] = useState<string>();
  // Poll while a run is queued or running, so a refresh shows up without reloading.
  const runs = useApi<Page<SegmentRun>>(`/segments/${segmentId}/runs?limit=10`, {
    pollMs: 1000,
    poll: (data) => Boolean(data?.items.some((run) => run.status === 'queued' || run.status === 'running')),
  });
  const refresh = async () => {
    try {
      await api('POST', `/segments/${segmentId}/refresh`);
      setMessage('Refresh queued');
      runs.reload();
    } catch (error) {
      setMessage(describeError(error));
    }
  };
  return (
    <section className="card" aria-labelledby="runs-title">
      <div className="page-head">
        <h2 id="runs-title">Latest runs</h2>
        <button type="button" onClick={refresh}>
          Refresh now
        </button>
      </div>
      <p role="status">{message}</p>
      <table aria-label="Refresh runs">
        <thead>
          <tr>
            <th scope="col">Queued</th>
            <th scope="col">Status</th>
            <th scope="col">Version</th>
            <th scope="col">Size</th>
            <th scope="col">Adds</th>
            <th scope="col">Removes</th>
            <th scope="col">Quality</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {runs.data?.items.map((run) => (
            <tr key={run.id} data-status={run.status}>
              <td>{formatDate(run.queuedAt)}</td>
              <td>
                <span className={`badge badge-${run.status}`}>{run.status}</span>
                {run.error && <div className="error-text">{run.error}</div>}
              </td>
              <td>v{run.version}</td>
              <td className="number">{formatNumber(run.size)}</td>
              <td className="number added">+{formatNumber(run.adds)}</td>
              <td className="number removed">−{formatNumber(run.removes)}</td>
              <td>
                {qualityFlags(run).map((flag) => (
                  <span key={flag} className="badge badge-warn">
                    {flag}
                  </span>
                ))}
                {run.status === 'succeeded' && qualityFlags(run).length === 0 && <span className="badge badge-succeeded">ok</span>}
              </td>
              <td>
                <RunControls basePath={`/segments/${segmentId}/runs/${run.id}`} status={run.status} onChanged={runs.reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data?.items.length === 0 && <p>Never refreshed.</p>}
    </section>
  );
}

function Versions({ segmentId }: { segmentId: string }) {
  const versions = useApi<SegmentVersion[]>(`/segments/${segmentId}/versions`);
  const list = [...(versions.data ?? [])].sort((a, b) => b.version - a.version);
  return (
    <section className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Version history</h2>
      {list.map((version, index) => {
        const previous = list[index + 1];
        return (
          <details key={version.version} open={index === 0}>
            <summary>
              v{version.version} · {formatDate(version.createdAt)}
            </summary>
            {previous ? (
              <VersionDiff before={previous.definition} after={version.definition} />
            ) : (
              <DefinitionView definition={version.definition} />
            )}
          </details>
        );
      })}
      {list[0]?.model && <ModelCharts model={list[0].model} definition={list[0].definition} />}
    </section>
  );
}

function Overlap({ segment }: { segment: Segment }) {
  const others = useApi<Page<Segment>>('/segments?limit=100');
  const [other, setOther] = useState('');
  const overlap = useApi<{ size: number; otherSize: number; intersection: number }>(
    other ? `/segments/${segment.id}/overlap?with=${other}` : null,
  );
  const data = other ? overlap.data : undefined;
  const union = data ? data.size + data.otherSize - data.intersection : 0;
  return (
    <section className="card" aria-labelledby="overlap-title">
      <h2 id="overlap-title">Overlap</h2>
      <label>
        Compare with
        <select value={other} onChange={(event) => setOther(event.target.value)}>
          <option value="">choose a segment…</option>
          {others.data?.items.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </select>
      </label>
      {overlap.error && other && <p role="alert">{overlap.error}</p>}
      {data && (
        <div className="overlap">
          <svg width={320} height={36} role="img" aria-label={`${data.intersection} profiles in both, of ${union} in either`}>
            <rect x={0} y={8} width={union ? (320 * data.size) / union : 0} height={20} className="bar" />
            <rect
              x={union ? (320 * (data.size - data.intersection)) / union : 0}
              y={8}
              width={union ? (320 * data.otherSize) / union : 0}
              height={20}
              className="bar other"
            />
          </svg>
          <p>
            {formatNumber(data.size)} here, {formatNumber(data.otherSize)} there, <strong>{formatNumber(data.intersection)} in both</strong>{' '}
            ({formatPercent(data.size ? data.intersection / data.size : 0)} of this segment).
          </p>
        </div>
      )}
    </section>
  );
}

export function SegmentPage({ id }: { id: string }) {
  const segment = useApi<Segment>(`/segments/${id}`);
  if (segment.error) return <p role="alert">{segment.error}</p>;
  const data = segment.data;
  if (!data) return <p>Loading…</p>;
  return (
    <section aria-labelledby="segment-title">
      <div className="page-head">
        <h1 id="segment-title">{data.name}</h1>
        {data.definition.type === 'rules' && (
          <a className="button" href={`#/builder/${data.id}`}>
            Edit in builder
          </a>
        )}
      </div>
      <div className="grid">
        <section className="card" aria-labelledby="doc-title">
          <h2 id="doc-title">Documentation</h2>
          <dl className="facts">
            <dt>Key</dt>
            <dd>{data.key}</dd>
            <dt>Owner</dt>
            <dd>{data.owner}</dd>
            <dt>Cadence</dt>
            <dd>{describeCadence(data.refreshCadence)}</dd>
            <dt>Version</dt>
            <dd>v{data.version}</dd>
            <dt>Status</dt>
            <dd>{data.status}</dd>
            <dt>KPI</dt>
            <dd>
              {data.kpi
                ? `${data.kpi.event} within ${data.kpi.windowDays} days${data.kpi.valueProperty ? ` (value: ${data.kpi.valueProperty})` : ''}`
                : 'none'}
            </dd>
            <dt>Quality</dt>
            <dd>
              at least {data.qualityThresholds.minSize} members, churn at most {formatPercent(data.qualityThresholds.maxChurn, 0)}
            </dd>
          </dl>
          {data.description && <p>{data.description}</p>}
          <h3>Definition</h3>
          <DefinitionView definition={data.definition} />
          {data.definition.type === 'rfm' && <RfmGrid definition={data.definition} />}
        </section>
        <Versions segmentId={data.id} />
      </div>
      {(data.definition.type === 'cluster' || data.definition.type === 'propensity' || data.definition.type === 'clv') && (
        <ModelFits
          key={data.version}
          segmentId={data.id}
          refitCadence={(data as Segment & { refitCadence?: string | null }).refitCadence ?? null}
          onFitted={segment.reload}
        />
      )}
      {data.definition.type === 'propensity' && <ModelDriftCard key={`drift-${data.version}`} segmentId={data.id} />}
      {data.refreshCadence === REALTIME && <LiveFeed segmentId={data.id} />}
      {data.definition.type === 'list' && <ListUpload segmentId={data.id} onUploaded={segment.reload} />}
      <Runs key={data.version} segmentId={data.id} />
      <MembersExport segmentId={data.id} segmentKey={data.key} />
      <Overlap segment={data} />
    </section>
  );
}
