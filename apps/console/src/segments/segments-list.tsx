import { Sparkline } from '../charts/sparkline';
import { formatNumber } from '../format';
import type { Page, Segment, SegmentRun } from '../types';
import { useApi } from '../use-api';
import { describeCadence } from './cadence';

function SizeCells({ segment }: { segment: Segment }) {
  const runs = useApi<Page<SegmentRun>>(`/segments/${segment.id}/runs?limit=30`);
  const sizes = (runs.data?.items ?? [])
    .filter((run) => run.status === 'succeeded' && run.size !== null)
    .map((run) => run.size as number)
    .reverse();
  return (
    <>
      <td className="number">{formatNumber(sizes.at(-1))}</td>
      <td>
        <Sparkline values={sizes} label={`size of ${segment.name} over runs`} />
      </td>
    </>
  );
}

export function SegmentsList() {
  const segments = useApi<Page<Segment>>('/segments?limit=100');
  return (
    <section aria-labelledby="segments-title">
      <div className="page-head">
        <h1 id="segments-title">Segments</h1>
        <a className="button" href="#/builder">
          New segment
        </a>
      </div>
      {segments.error && <p role="alert">{segments.error}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Owner</th>
            <th scope="col">Cadence</th>
            <th scope="col">Version</th>
            <th scope="col">Size</th>
            <th scope="col">Size over runs</th>
          </tr>
        </thead>
        <tbody>
          {segments.data?.items.map((segment) => (
            <tr key={segment.id}>
              <td>
                <a href={`#/segments/${segment.id}`}>{segment.name}</a>
                <div className="muted">{segment.key}</div>
              </td>
              <td>{segment.definition.type}</td>
              <td>{segment.owner}</td>
              <td>{describeCadence(segment.refreshCadence)}</td>
              <td className="number">v{segment.version}</td>
              <SizeCells segment={segment} />
            </tr>
          ))}
          {segments.data?.items.length === 0 && (
            <tr>
              <td colSpan={7}>No segments yet.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
