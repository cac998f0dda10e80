import { useState } from 'react';
import { api, ApiError, describeError } from '../api-client';
import { formatDate, formatNumber, formatPercent } from '../format';
import type { Activation, LiftResponse, Page, Segment, SyncRun } from '../types';
import { useCanWriteTraits } from '../traits/write-access';
import { useApi } from '../use-api';
import { ExclusionsEditor } from './exclusions-editor';
import { LiftReport } from './lift-report';
import type { PriorityList } from './orchestration-api';
import { ActivationTargeting } from './orchestration-page';
import { SyncRunView } from './sync-run-view';

export function ActivationPage({ id }: { id: string }) {
  const activation = useApi<Activation>(`/activations/${id}`);
  const segment = useApi<Segment>(activation.data ? `/segments/${activation.data.segmentId}` : null);
  const runs = useApi<Page<SyncRun>>(`/activations/${id}/sync-runs?limit=10`);
  const lift = useApi<LiftResponse>(`/activations/${id}/lift`);
  // Keys of the excluded segments (and the keys a marketer may exclude) and the targeted priority list (issue #23).
  const segments = useApi<Page<Segment>>(activation.data ? '/segments?limit=500' : null);
  const canWrite = useCanWriteTraits();
  const priorityList = useApi<PriorityList>(activation.data?.priorityListId ? `/priority-lists/${activation.data.priorityListId}` : null);
  const [watching, setWatching] = useState<string>();
  const [message, setMessage] = useState<string>();
  // A send over the mass-send guard is held by the API (409 confirmation_required) until confirmed.
  const [held, setHeld] = useState<{ token: string; count: number }>();

  const sync = async (body: { dryRun?: boolean; confirm?: string }) => {
    try {
      const queued = await api<SyncRun>('POST', `/activations/${id}/sync`, body);
      setWatching(queued.id);
      setMessage(undefined);
      setHeld(undefined);
      runs.reload();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'confirmation_required')
        setHeld({ token: String(error.body.confirmationToken), count: Number(error.body.count) });
      setMessage(describeError(error));
    }
  };
  const finished = () => {
    runs.reload();
    lift.reload();
  };

  const data = activation.data;
  const excludedKeys = (data?.excludeSegmentIds ?? []).map(
    (segmentId) => segments.data?.items.find((candidate) => candidate.id === segmentId)?.key ?? segmentId,
  );
  if (activation.error) return <p role="alert">{activation.error}</p>;
  if (!data) return <p>Loading…</p>;
  return (
    <section aria-labelledby="activation-title">
      <div className="page-head">
        <h1 id="activation-title">{data.name}</h1>
        <div className="actions">
          <button type="button" className="primary" onClick={() => sync({ dryRun: false })}>
            Sync now
          </button>
          <button type="button" onClick={() => sync({ dryRun: true })}>
            Dry run
          </button>
        </div>
      </div>
      {message && <p role="alert">{message}</p>}
      {held && (
        <div className="card" role="group" aria-label="Confirm mass send">
          <p>
            This sync would send <strong>{formatNumber(held.count)}</strong> messages, above the mass-send guard.
          </p>
          <button type="button" className="primary" onClick={() => sync({ confirm: held.token })}>
            Confirm and send
          </button>
        </div>
      )}
      <dl className="facts card">
        <dt>Segment</dt>
        <dd>{segment.data ? <a href={`#/segments/${segment.data.id}`}>{segment.data.name}</a> : data.segmentId}</dd>
        <dt>Connector</dt>
        <dd>{data.connector}</dd>
        <dt>Mode</dt>
        <dd>{data.mode}</dd>
        <dt>Holdout</dt>
        <dd>{formatPercent(data.holdoutShare, 0)}</dd>
        <dt>Schedule</dt>
        <dd>{data.schedule}</dd>
        <dt>Status</dt>
        <dd>{data.status}</dd>
      </dl>
      <section className="card" aria-labelledby="targeting-title">
        <h2 id="targeting-title">Exclusions and priority</h2>
        <ActivationTargeting
          excludeSegmentKeys={excludedKeys}
          priorityList={
            priorityList.data
              ? {
                  key: priorityList.data.key,
                  position: priorityList.data.entries.find((entry) => entry.segmentId === data.segmentId)?.position ?? 0,
                }
              : null
          }
        />
        {canWrite && segments.data && (
          <ExclusionsEditor
            activationId={data.id}
            currentKeys={excludedKeys}
            segmentKeys={segments.data.items.filter((candidate) => candidate.id !== data.segmentId).map((candidate) => candidate.key)}
            onSaved={activation.reload}
          />
        )}
        <p className="muted">
          Excluded members are counted in the dry run (<code>excluded</code>). The priority list is set with <code>priorityList</code> on{' '}
          <code>PATCH /activations/{data.id}</code>; caps and lists are on <a href="#/orchestration">Caps and priorities</a>.
        </p>
      </section>
      {watching && <SyncRunView key={watching} runId={watching} onFinished={finished} />}
      <section className="card" aria-labelledby="lift-title">
        <div className="page-head">
          <h2 id="lift-title">Lift report</h2>
          <button type="button" onClick={lift.reload}>
            Refresh report
          </button>
        </div>
        {lift.errorStatus === 404 ? (
          <p>No report yet ({lift.error}): sync the activation first.</p>
        ) : lift.error ? (
          <p role="alert">{lift.error}</p>
        ) : lift.data ? (
          <LiftReport lift={lift.data} />
        ) : (
          <p>Loading…</p>
        )}
      </section>
      <section className="card" aria-labelledby="sync-runs-title">
        <h2 id="sync-runs-title">Sync runs</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Queued</th>
              <th scope="col">Status</th>
              <th scope="col">Considered</th>
              <th scope="col">Sent / added</th>
              <th scope="col">Held out</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {runs.data?.items.map((run) => (
              <tr key={run.id}>
                <td>{formatDate(run.queuedAt)}</td>
                <td>
                  <span className={`badge badge-${run.status}`}>{run.status}</span>
                  {run.dryRun && ' (dry run)'}
                </td>
                <td className="number">{formatNumber(run.counts.considered)}</td>
                <td className="number">{formatNumber((run.counts.sent ?? 0) + (run.counts.added ?? 0))}</td>
                <td className="number">{formatNumber((run.counts.heldOutActivation ?? 0) + (run.counts.heldOutGlobal ?? 0))}</td>
                <td>
                  <button type="button" className="link" onClick={() => setWatching(run.id)}>
                    Details
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
