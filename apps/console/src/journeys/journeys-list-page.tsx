import { formatNumber } from '../format';
import { useCanWriteTraits } from '../traits/write-access';
import { useApi } from '../use-api';
import type { JourneySummary } from './journeys-api';

/** `#/journeys`: every journey with its status, version, entry segment and how many entered, are in flight and reached the goal. */
export function JourneysListPage() {
  const journeys = useApi<{ items: JourneySummary[] }>('/journeys');
  const canWrite = useCanWriteTraits();
  return (
    <>
      <div className="page-head">
        <h1>Journeys</h1>
        {canWrite && (
          <a className="button" href="#/journeys/new">
            New journey
          </a>
        )}
      </div>
      <p className="muted">
        A journey takes each profile that enters its segment through its steps (sends, ads audiences, waits, branches) until the goal. A
        control group is held out at entry and never contacted; the lift is measured against it.
      </p>
      {journeys.error && <p role="alert">{journeys.error}</p>}
      {journeys.data && <JourneysTable journeys={journeys.data.items} />}
    </>
  );
}

export function JourneysTable({ journeys }: { journeys: JourneySummary[] }) {
  if (journeys.length === 0) return <p className="muted">No journeys yet.</p>;
  return (
    <table aria-label="Journeys">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Version</th>
          <th scope="col">Entry segment</th>
          <th scope="col">Entered</th>
          <th scope="col">In flight</th>
          <th scope="col">Goal reached</th>
        </tr>
      </thead>
      <tbody>
        {journeys.map((journey) => (
          <tr key={journey.id}>
            <td>
              <a href={`#/journeys/${encodeURIComponent(journey.key)}`}>{journey.name}</a> <code>{journey.key}</code>
            </td>
            <td>
              <StatusBadge status={journey.status} />
            </td>
            <td>v{journey.currentVersion}</td>
            <td>{journey.entrySegment ? <a href={`#/segments/${journey.entrySegment.id}`}>{journey.entrySegment.key}</a> : '—'}</td>
            <td className="number">{formatNumber(journey.entered)}</td>
            <td className="number">{formatNumber(journey.inFlight)}</td>
            <td className="number">{formatNumber(journey.goalReached)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'live' ? 'badge-succeeded' : status === 'paused' ? 'badge-failed' : '';
  return <span className={`badge ${tone}`}>{status}</span>;
}
