import { useEffect, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatNumber } from '../format';
import type { MembershipChange, MembershipChanges } from '../types';
import { changesQuery, mergeChanges, nextAfter } from './live-feed-state';

const POLL_MS = 2_000;

const formatTime = (value: string): string => new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** Polls `GET /segments/:id/changes` every 2 s with `after` = the highest change id seen (see `changesQuery`). */
function useChanges(segmentId: string) {
  const [items, setItems] = useState<MembershipChange[]>([]);
  const [size, setSize] = useState<number>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    let after: number | undefined;
    let polls = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const query = changesQuery(after, polls++);
      let behind = false;
      try {
        const page = await api<MembershipChanges>(
          'GET',
          `/segments/${segmentId}/changes?limit=${query.limit}${query.after === undefined ? '' : `&after=${query.after}`}`,
        );
        if (!live) return;
        // Only a poll after an id moves the cursor: the latest page (first call, heal) may be far ahead of it.
        if (query.after !== undefined || after === undefined) after = nextAfter(after, page.items);
        behind = query.after !== undefined && page.items.length === query.limit;
        setSize(page.size);
        setItems((shown) => mergeChanges(page.items, shown));
        setError(undefined);
      } catch (failure) {
        if (live) setError(describeError(failure));
      }
      if (live) timer = setTimeout(poll, behind ? 0 : POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [segmentId]);
  return { items, size, error };
}

/** A real-time segment's entries and exits as they happen, and its size moving with them. */
export function LiveFeed({ segmentId }: { segmentId: string }) {
  const { items, size, error } = useChanges(segmentId);
  return (
    <section className="card" aria-labelledby="feed-title">
      <div className="page-head">
        <h2 id="feed-title">Live entries and exits</h2>
        <p className="live-size" role="status" aria-live="polite" aria-label="Current size">
          <strong>{formatNumber(size)}</strong> members now
        </p>
      </div>
      {error && <p role="alert">{error}</p>}
      <table aria-label="Recent entries and exits">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Profile</th>
            <th scope="col">Change</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-change={item.change}>
              <td>{formatTime(item.changedAt)}</td>
              <td>
                <code>{item.profileId}</code>
              </td>
              <td className={item.change === 'added' ? 'added' : 'removed'}>{item.change === 'added' ? 'entered' : 'exited'}</td>
              <td>{item.cause === 'realtime' ? 'real time' : 'refresh'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && size !== undefined && <p>No entries or exits yet; this list updates every 2 seconds.</p>}
    </section>
  );
}
