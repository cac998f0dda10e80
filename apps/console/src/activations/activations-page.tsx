import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatPercent } from '../format';
import { describeSource } from '../types';
import type { Activation, Connector, Destination, Page, Segment } from '../types';
import { useApi } from '../use-api';
import { CallbackUrlsCell } from './callback-urls';
import { SchemaFields } from './schema-fields';

const MODES_BY_DELIVERY: Record<string, string[]> = { list: ['mirror', 'add_only'], message: ['send'] };

export function DestinationForm({ connectors, onCreated }: { connectors: Connector[]; onCreated: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [settings, setSettings] = useState<Record<string, unknown>>({});
  const [secrets, setSecrets] = useState<Record<string, unknown>>({});
  const [status, setStatus] = useState<string>();
  const connector = connectors.find((item) => item.slug === slug);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      await api('POST', '/destinations', { name, connector: slug, settings, secrets });
      setStatus(`Destination “${name}” created`);
      setName('');
      setSettings({});
      setSecrets({});
      onCreated();
    } catch (error) {
      setStatus(describeError(error));
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>New destination</h3>
      <div className="form-row">
        <label htmlFor={`${id}-name`}>Destination name</label>
        <input id={`${id}-name`} value={name} required onChange={(event) => setName(event.target.value)} />
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-connector`}>Connector</label>
        <select
          id={`${id}-connector`}
          value={slug}
          required
          onChange={(event) => (setSlug(event.target.value), setSettings({}), setSecrets({}))}
        >
          <option value="">choose…</option>
          {connectors.map((item) => (
            <option key={item.slug} value={item.slug}>
              {item.displayName} ({describeSource(item.source)})
            </option>
          ))}
        </select>
      </div>
      {connector && (
        <>
          <SchemaFields schema={connector.settings} values={settings} onChange={setSettings} prefix="Setting" />
          <SchemaFields schema={connector.secrets} values={secrets} onChange={setSecrets} prefix="Secret" secret />
          <p className="muted">
            Needs identifiers: {connector.requiredIdentifiers.join(', ')}. Secrets are sealed by the API and never shown again.
          </p>
          <p className="muted" data-testid="connector-source">
            Source: {describeSource(connector.source)}
          </p>
        </>
      )}
      <button type="submit">Create destination</button>
      <p role="status">{status}</p>
    </form>
  );
}

function ActivationForm({
  segments,
  destinations,
  connectors,
  onCreated,
}: {
  segments: Segment[];
  destinations: Destination[];
  connectors: Connector[];
  onCreated: (activation: Activation) => void;
}) {
  const id = useId();
  const [name, setName] = useState('');
  const [segmentId, setSegmentId] = useState('');
  const [destinationId, setDestinationId] = useState('');
  const [mode, setMode] = useState('');
  const [holdoutPercent, setHoldoutPercent] = useState(10);
  const [schedule, setSchedule] = useState('manual');
  const [status, setStatus] = useState<string>();
  const destination = destinations.find((item) => item.id === destinationId);
  const delivery = connectors.find((item) => item.slug === destination?.connector)?.deliveryModel;
  const modes = MODES_BY_DELIVERY[delivery ?? ''] ?? ['mirror', 'add_only', 'send'];
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const created = await api<Activation>('POST', '/activations', {
        name,
        segmentId,
        destinationId,
        mode: mode || modes[0],
        holdoutShare: holdoutPercent / 100,
        schedule,
      });
      onCreated(created);
    } catch (error) {
      setStatus(describeError(error));
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>New activation</h3>
      <div className="form-row">
        <label htmlFor={`${id}-name`}>Activation name</label>
        <input id={`${id}-name`} value={name} required onChange={(event) => setName(event.target.value)} />
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-segment`}>Segment</label>
        <select id={`${id}-segment`} value={segmentId} required onChange={(event) => setSegmentId(event.target.value)}>
          <option value="">choose…</option>
          {segments.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-destination`}>Destination</label>
        <select
          id={`${id}-destination`}
          value={destinationId}
          required
          onChange={(event) => (setDestinationId(event.target.value), setMode(''))}
        >
          <option value="">choose…</option>
          {destinations.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name} ({item.connector})
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-mode`}>Mode</label>
        <select id={`${id}-mode`} value={mode || modes[0]} onChange={(event) => setMode(event.target.value)}>
          {modes.map((item) => (
            <option key={item} value={item}>
              {item.replace('_', ' ')}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-holdout`}>Holdout (% kept as control)</label>
        <input
          id={`${id}-holdout`}
          type="number"
          min={0}
          max={99}
          step={1}
          value={holdoutPercent}
          onChange={(event) => setHoldoutPercent(Number(event.target.value))}
        />
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-schedule`}>Schedule</label>
        <select id={`${id}-schedule`} value={schedule} onChange={(event) => setSchedule(event.target.value)}>
          <option value="manual">manual</option>
          <option value="after_refresh">after each refresh</option>
          <option value="on_change">on each change (real-time segments only)</option>
        </select>
      </div>
      <button type="submit">Create activation</button>
      {status && <p role="alert">{status}</p>}
    </form>
  );
}

export function ActivationsPage() {
  const connectors = useApi<Page<Connector>>('/connectors');
  const destinations = useApi<Page<Destination>>('/destinations?limit=100');
  const activations = useApi<Page<Activation>>('/activations');
  const segments = useApi<Page<Segment>>('/segments?limit=100');
  const segmentName = (segmentId: string) => segments.data?.items.find((item) => item.id === segmentId)?.name ?? segmentId.slice(0, 8);
  const destinationName = (destinationId: string) =>
    destinations.data?.items.find((item) => item.id === destinationId)?.name ?? destinationId.slice(0, 8);
  return (
    <section aria-labelledby="activations-title">
      <h1 id="activations-title">Activations</h1>
      {[connectors, destinations, activations, segments]
        .map((loaded) => loaded.error)
        .filter(Boolean)
        .slice(0, 1)
        .map((error) => (
          <p key="error" role="alert">
            {error}
          </p>
        ))}
      <div className="grid">
        <section className="card" aria-labelledby="activations-list-title">
          <h2 id="activations-list-title">All activations</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Segment</th>
                <th scope="col">Destination</th>
                <th scope="col">Mode</th>
                <th scope="col">Holdout</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {activations.data?.items.map((activation) => (
                <tr key={activation.id}>
                  <td>
                    <a href={`#/activations/${activation.id}`}>{activation.name}</a>
                  </td>
                  <td>{segmentName(activation.segmentId)}</td>
                  <td>{destinationName(activation.destinationId)}</td>
                  <td>{activation.mode}</td>
                  <td className="number">{formatPercent(activation.holdoutShare, 0)}</td>
                  <td>{activation.status}</td>
                </tr>
              ))}
              {activations.data?.items.length === 0 && (
                <tr>
                  <td colSpan={6}>No activations yet.</td>
                </tr>
              )}
            </tbody>
          </table>
          <h2>Destinations</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Connector</th>
                <th scope="col">Secrets</th>
                <th scope="col">Vendor callback URLs</th>
              </tr>
            </thead>
            <tbody>
              {destinations.data?.items.map((destination) => (
                <tr key={destination.id}>
                  <td>{destination.name}</td>
                  <td>{destination.connector}</td>
                  <td>{destination.secretsSet ? 'set' : 'none'}</td>
                  <td>
                    <CallbackUrlsCell destinationId={destination.id} connector={destination.connector} />
                  </td>
                </tr>
              ))}
              {destinations.data?.items.length === 0 && (
                <tr>
                  <td colSpan={4}>No destinations yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </section>
        <div>
          <DestinationForm connectors={connectors.data?.items ?? []} onCreated={destinations.reload} />
          <ActivationForm
            segments={segments.data?.items ?? []}
            destinations={destinations.data?.items ?? []}
            connectors={connectors.data?.items ?? []}
            onCreated={(activation) => (window.location.hash = `#/activations/${activation.id}`)}
          />
        </div>
      </div>
    </section>
  );
}
