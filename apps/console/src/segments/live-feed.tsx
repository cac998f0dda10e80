import { useEffect, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatNumber } from '../format';
import type { MembershipChange, MembershipChanges } from '../types';
import { mergeChanges, nextAfter } from './live-feed-state';

const POLL_MS = 2_000;
const FIRST_PAGE = 50;
/** A poll after a change id takes up to this many; a full page means more are waiting: poll again at once. */
const CATCH_UP_PAGE = 500;

const formatTime = (value: string): string => new Date(value).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** Polls `GET /segments/:id/changes` every 2 s with `after` = the highest change id seen. */
function useChanges(segmentId: string) {
  const [items, setItems] = useState<MembershipChange[]>([]);
  const [size, setSize] = useState<number>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    let after: number | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const limit = after === undefined ? FIRST_PAGE : CATCH_UP_PAGE;
      let full = false;
      try {
        const page = await api<MembershipChanges>(
          'GET',
          `/segments/${segmentId}/changes?limit=${limit}${after === undefined ? '' : `&after=${after}`}`,
        );
        if (!live) return;
        // The first page is the latest changes, not the oldest: only a poll after an id catches up.
        full = after !== undefined && page.items.length === limit;
        after = nextAfter(after, page.items); // still undefined before the first change: poll the latest again
        setSize(page.size);
        setItems((shown) => mergeChanges(page.items, shown));
        setError(undefined);
      } catch (failure) {
        if (live) setError(describeError(failure));
      }
      if (live) timer = setTimeout(poll, full ? 0 : POLL_MS);
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
