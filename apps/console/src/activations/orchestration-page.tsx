import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatNumber } from '../format';
import { useApi } from '../use-api';
import { describeCap, FrequencyCap, PriorityList, PriorityListMembership } from './orchestration-api';

/**
 * Across activations (`#/orchestration`, issue #23): frequency caps (at most N messages per profile
 * on a channel in a rolling window, enforced right before each send) and priority lists (each
 * profile goes only to the highest entry it qualifies for). Exclusions are set per activation.
 */
export function OrchestrationPage() {
  const caps = useApi<{ items: FrequencyCap[] }>('/frequency-caps');
  const lists = useApi<{ items: PriorityList[] }>('/priority-lists');
  return (
    <>
      <h1>Caps and priorities</h1>
      <p className="muted">
        Caps and priority lists hold across every activation. A capped or outranked member is counted in the dry run and the run (
        <code>capped</code>, <code>outranked</code>); control groups are never contacted either way.
      </p>
      <div className="grid">
        <section className="card" aria-labelledby="caps-title">
          <h2 id="caps-title">Frequency caps</h2>
          {caps.error && <p role="alert">{caps.error}</p>}
          {caps.data && <FrequencyCapsTable caps={caps.data.items} onChanged={caps.reload} />}
        </section>
        <CapForm onSaved={caps.reload} />
      </div>
      <section className="card" aria-labelledby="lists-title">
        <h2 id="lists-title">Priority lists</h2>
        {lists.error && <p role="alert">{lists.error}</p>}
        {lists.data?.items.length === 0 && <p className="muted">No priority lists yet.</p>}
        {lists.data?.items.map((list) => (
          <PriorityListSection key={list.id} list={list} />
        ))}
        <PriorityListForm onSaved={lists.reload} />
      </section>
    </>
  );
}

/** The caps, one row each, with a delete button when `onChanged` is given. */
export function FrequencyCapsTable({ caps, onChanged }: { caps: FrequencyCap[]; onChanged?: () => void }) {
  const [error, setError] = useState<string>();
  const remove = async (id: string) => {
    try {
      await api('DELETE', `/frequency-caps/${id}`);
      setError(undefined);
      onChanged?.();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  if (caps.length === 0) return <p className="muted">No frequency caps: a profile may be messaged by every activation.</p>;
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Rule</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {caps.map((cap) => (
            <tr key={cap.id}>
              <td>{cap.name}</td>
              <td>{describeCap(cap)}</td>
              <td>
                {onChanged && (
                  <button type="button" className="link" onClick={() => void remove(cap.id)}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p role="alert">{error}</p>}
    </>
  );
}

function CapForm({ onSaved }: { onSaved: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<FrequencyCap['channel']>('email');
  const [maxMessages, setMaxMessages] = useState('3');
  const [windowHours, setWindowHours] = useState('168');
  const [error, setError] = useState<string>();
  const save = async () => {
    try {
      await api('POST', '/frequency-caps', { name, channel, maxMessages: Number(maxMessages), windowHours: Number(windowHours) });
      setError(undefined);
      setName('');
      onSaved();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New cap</h2>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} onChange={(event) => setName(event.target.value)} />
      <label htmlFor={`${id}-channel`}>Channel</label>
      <select id={`${id}-channel`} value={channel} onChange={(event) => setChannel(event.target.value as FrequencyCap['channel'])}>
        {['email', 'sms', 'ads', 'webhook', 'all'].map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-max`}>At most (messages)</label>
      <input id={`${id}-max`} type="number" min={1} value={maxMessages} onChange={(event) => setMaxMessages(event.target.value)} />
      <label htmlFor={`${id}-window`}>In a rolling window of (hours)</label>
      <input id={`${id}-window`} type="number" min={1} value={windowHours} onChange={(event) => setWindowHours(event.target.value)} />
      <button type="button" onClick={() => void save()}>
        Add cap
      </button>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function PriorityListSection({ list }: { list: PriorityList }) {
  const membership = useApi<PriorityListMembership>(`/priority-lists/${list.id}/membership`);
  return (
    <>
      <PriorityListTable list={list} membership={membership.data} />
      {membership.error && <p role="alert">{membership.error}</p>}
    </>
  );
}

/** A list's entries in priority order, with each entry's members and exclusive members when known. */
export function PriorityListTable({ list, membership }: { list: PriorityList; membership?: PriorityListMembership }) {
  const counts = new Map(membership?.entries.map((entry) => [entry.position, entry]));
  return (
    <table aria-label={`Priority list ${list.name}`}>
      <caption>
        {list.name} <code>{list.key}</code>
      </caption>
      <thead>
        <tr>
          <th scope="col">Priority</th>
          <th scope="col">Segment</th>
          <th scope="col">Members</th>
          <th scope="col">Exclusive members</th>
        </tr>
      </thead>
      <tbody>
        {list.entries.map((entry) => (
          <tr key={entry.position}>
            <td>{entry.position}</td>
            <td>
              <a href={`#/segments/${entry.segmentId}`}>{entry.segmentKey}</a>
            </td>
            <td>{counts.has(entry.position) ? formatNumber(counts.get(entry.position)?.members) : '…'}</td>
            <td>{counts.has(entry.position) ? formatNumber(counts.get(entry.position)?.exclusive) : '…'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PriorityListForm({ onSaved }: { onSaved: () => void }) {
  const id = useId();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [entries, setEntries] = useState('');
  const [error, setError] = useState<string>();
  const save = async () => {
    try {
      const refs = entries
        .split(/[\s,]+/)
        .map((entry) => entry.trim())
        .filter(Boolean);
      await api('POST', '/priority-lists', { key, name, entries: refs });
      setError(undefined);
      setKey('');
      setName('');
      setEntries('');
      onSaved();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <div aria-labelledby={`${id}-title`} role="group">
      <h3 id={`${id}-title`}>New priority list</h3>
      <label htmlFor={`${id}-key`}>Key</label>
      <input id={`${id}-key`} value={key} onChange={(event) => setKey(event.target.value)} />
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} onChange={(event) => setName(event.target.value)} />
      <label htmlFor={`${id}-entries`}>Segments, highest priority first (keys, comma-separated)</label>
      <input id={`${id}-entries`} value={entries} onChange={(event) => setEntries(event.target.value)} />
      <button type="button" onClick={() => void save()}>
        Create list
      </button>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

/** An activation's exclusions and priority list, for its page. */
export function ActivationTargeting({
  excludeSegmentKeys,
  priorityList,
}: {
  excludeSegmentKeys: string[];
  priorityList?: { key: string; position: number } | null;
}) {
  return (
    <dl className="facts">
      <dt>Excluded segments</dt>
      <dd>{excludeSegmentKeys.length ? excludeSegmentKeys.join(', ') : 'none'}</dd>
      <dt>Priority list</dt>
      <dd>{priorityList ? `${priorityList.key}, entry ${priorityList.position}` : 'none'}</dd>
    </dl>
  );
}
