import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatDate, formatPercent } from '../format';
import type { Page as ListPage, Segment } from '../types';
import { useApi } from '../use-api';
import { ExplainView, type Explanation } from './explain-view';
import type { ProfileDetail, ProfileEvents } from './profile-types';

const KINDS: [string, string][] = [
  ['email', 'Email'],
  ['phone', 'Phone'],
  ['userId', 'User id'],
  ['anonymousId', 'Anonymous id'],
  ['profileId', 'Profile id'],
];

/** Search by any identifier (GET /profiles/lookup); a hit opens the profile's page. */
export function ProfileSearch() {
  const id = useId();
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const found = await api<{ profileId: string }>('GET', `/profiles/lookup?${new URLSearchParams({ [kind]: value })}`);
      setError(undefined);
      window.location.hash = `#/profiles/${found.profileId}`;
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <form onSubmit={submit} className="card actions" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="sr-only">
        Find a profile
      </h2>
      <div className="field">
        <label htmlFor={`${id}-kind`}>Identifier</label>
        <select id={`${id}-kind`} value={kind} onChange={(event) => setKind(event.target.value)}>
          {KINDS.map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-value`}>Value</label>
        <input id={`${id}-value`} value={value} required size={36} onChange={(event) => setValue(event.target.value)} />
      </div>
      <button type="submit">Find profile</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}

/** `#/profiles` (search) and `#/profiles/:id` (everything about one profile, with explain per segment). */
export function ProfilesPage({ id }: { id?: string }) {
  return (
    <>
      <div className="page-head">
        <h1>Profiles</h1>
      </div>
      <ProfileSearch />
      {id && <ProfileView key={id} id={id} />}
    </>
  );
}

function ProfileView({ id }: { id: string }) {
  const { data, error } = useApi<ProfileDetail>(`/profiles/${id}`);
  const [explained, setExplained] = useState<string>();
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p role="status">Loading…</p>;
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile {data.id}</h2>
      <p className="muted">
        First seen {formatDate(data.firstSeenAt)} · last seen {formatDate(data.lastSeenAt)}
        {id !== data.id && ` · ${id} was merged into this profile`}
      </p>
      <div className="grid">
        <Table
          title="Identities"
          head={['Type', 'Value', 'Since']}
          rows={data.identities.map((identity) => [identity.type, identity.value, formatDate(identity.since)])}
        />
        <Table
          title="Traits"
          head={['Trait', 'Value', 'Set at', 'Source']}
          rows={data.traits.map((trait) => [
            trait.key,
            JSON.stringify(trait.value),
            formatDate(trait.setAt),
            trait.source
              ? `identify ${trait.source.messageId}${trait.source.sourceId ? ` (source ${trait.source.sourceId.slice(0, 8)})` : ''}`
              : '—',
          ])}
        />
      </div>
      <Memberships data={data} onExplain={setExplained} />
      <ExplainPanel profileId={data.id} segment={explained} onChoose={setExplained} />
      <div className="grid">
        <Table
          title="Activations and arms"
          head={['Activation', 'Segment', 'Arm now', 'Recorded arm', 'In segment']}
          rows={data.activations.map((activation) => [
            activation.name,
            activation.segmentKey,
            `${activation.arm} (holdout ${formatPercent(activation.holdoutShare, 0)}, hash v${activation.hashVersion})`,
            activation.exposed ? `${activation.exposed.arm} ${formatDate(activation.exposed.at)}` : '—',
            activation.memberOfSegment ? 'yes' : 'no',
          ])}
          footer={
            data.globalHoldout
              ? `Global holdout ${formatPercent(data.globalHoldout.share, 0)}: ${data.globalHoldout.member ? 'this profile is held out of every activation' : 'not held out'}`
              : 'No global holdout'
          }
        />
        <div className="card">
          <h3>Suppressions and consent</h3>
          {data.suppressions.length === 0 ? (
            <p>No suppression.</p>
          ) : (
            <ul>
              {data.suppressions.map((suppression) => (
                <li key={`${suppression.identifierType}:${suppression.identifierValue}:${suppression.channel}`}>
                  {suppression.identifierType} {suppression.identifierValue}: {suppression.channel} — {suppression.reason} (
                  {formatDate(suppression.since)})
                </li>
              ))}
            </ul>
          )}
          <p>
            {data.consent.unsubscribed ? 'Unsubscribed from everything. ' : ''}
            Consent:{' '}
            {Object.entries(data.consent.categories)
              .map(([key, value]) => `${key} ${value === true ? 'given' : value === false ? 'withdrawn' : JSON.stringify(value)}`)
              .join(', ') || 'none recorded'}
          </p>
        </div>
      </div>
      <Table
        title="Merge history"
        head={['Profile', 'Merged into', 'When']}
        rows={data.merges.map((merge) => [merge.profileId, merge.mergedInto, formatDate(merge.mergedAt)])}
        empty="No profile was merged into this one."
      />
      <EventsTable profileId={data.id} />
    </section>
  );
}

function Memberships({ data, onExplain }: { data: ProfileDetail; onExplain: (segment: string) => void }) {
  return (
    <div className="card">
      <h3>Segments</h3>
      {data.memberships.length === 0 ? (
        <p>Not a member of any segment.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Since</th>
              <th scope="col">By</th>
              <th scope="col">Version</th>
              <th scope="col">
                <span className="sr-only">Explain</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.memberships.map((membership) => (
              <tr key={membership.segmentId}>
                <td>
                  <a href={`#/segments/${membership.segmentId}`}>{membership.name}</a> <span className="muted">{membership.key}</span>
                </td>
                <td>{formatDate(membership.since)}</td>
                <td>{membership.cause === 'realtime' ? 'real time' : `refresh ${membership.runId?.slice(0, 8) ?? ''}`}</td>
                <td>
                  {membership.version === null ? '—' : `v${membership.version}`}
                  {membership.version !== null &&
                    membership.version !== membership.currentVersion &&
                    ` (now v${membership.currentVersion})`}
                </td>
                <td>
                  <button type="button" className="link" onClick={() => onExplain(membership.key)}>
                    Explain {membership.key}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Explain any segment for this profile: chosen from the list, or from a membership's button. */
function ExplainPanel({ profileId, segment, onChoose }: { profileId: string; segment?: string; onChoose: (key: string) => void }) {
  const id = useId();
  const segments = useApi<ListPage<Segment>>('/segments?limit=500');
  const explanation = useApi<Explanation>(segment ? `/profiles/${profileId}/explain?segment=${encodeURIComponent(segment)}` : null);
  return (
    <div className="card">
      <h3 id={`${id}-title`}>Explain</h3>
      <div className="field">
        <label htmlFor={`${id}-segment`}>Segment to explain</label>
        <select id={`${id}-segment`} value={segment ?? ''} onChange={(event) => onChoose(event.target.value)}>
          <option value="">choose…</option>
          {(segments.data?.items ?? []).map((item) => (
            <option key={item.id} value={item.key}>
              {item.name} ({item.key})
            </option>
          ))}
        </select>
      </div>
      {explanation.error && <p role="alert">{explanation.error}</p>}
      {segment && explanation.data && explanation.data.segment.key === segment && <ExplainView explanation={explanation.data} />}
    </div>
  );
}

const EVENTS_PAGE = 20;

function EventsTable({ profileId }: { profileId: string }) {
  const id = useId();
  const [name, setName] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [offset, setOffset] = useState(0);
  const query = new URLSearchParams({ limit: String(EVENTS_PAGE), offset: String(offset) });
  if (name) query.set('name', name);
  if (from) query.set('from', new Date(from).toISOString());
  if (to) query.set('to', new Date(to).toISOString());
  const { data, error } = useApi<ProfileEvents>(`/profiles/${profileId}/events?${query}`);
  const filter = (set: (value: string) => void) => (event: React.ChangeEvent<HTMLInputElement>) => (set(event.target.value), setOffset(0));
  return (
    <div className="card">
      <h3>Events</h3>
      <div className="actions">
        <div className="field">
          <label htmlFor={`${id}-name`}>Event name</label>
          <input id={`${id}-name`} value={name} onChange={filter(setName)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="datetime-local" value={from} onChange={filter(setFrom)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Before</label>
          <input id={`${id}-to`} type="datetime-local" value={to} onChange={filter(setTo)} />
        </div>
      </div>
      {error && <p role="alert">{error}</p>}
      <table aria-label="Events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Name</th>
            <th scope="col">Properties</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((event) => (
            <tr key={event.id}>
              <td>{formatDate(event.timestamp)}</td>
              <td>{event.type}</td>
              <td>{event.name ?? '—'}</td>
              <td className="muted">{JSON.stringify(event.properties).slice(0, 160)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 && <p>No event.</p>}
      <div className="actions">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - EVENTS_PAGE))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!data || data.nextOffset === null}
          onClick={() => data?.nextOffset != null && setOffset(data.nextOffset)}
        >
          Older
        </button>
      </div>
    </div>
  );
}

function Table({
  title,
  head,
  rows,
  empty = 'None.',
  footer,
}: {
  title: string;
  head: string[];
  rows: string[][];
  empty?: string;
  footer?: string;
}) {
  return (
    <div className="card">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <table aria-label={title}>
          <thead>
            <tr>
              {head.map((cell) => (
                <th key={cell} scope="col">
                  {cell}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index}>
                {row.map((cell, column) => (
                  <td key={column}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {footer && <p>{footer}</p>}
    </div>
  );
}
