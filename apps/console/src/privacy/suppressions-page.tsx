import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { useApi } from '../use-api';
import {
  CHANNELS,
  downloadSuppressions,
  IDENTIFIER_TYPES,
  ImportReport,
  Suppression,
  SuppressionPage,
  uploadSuppressions,
} from './privacy-api';

const PAGE_SIZE = 50;

interface Filters {
  channel: string;
  identifierType: string;
  reason: string;
  createdFrom: string;
  createdTo: string;
}

const NO_FILTERS: Filters = { channel: '', identifierType: '', reason: '', createdFrom: '', createdTo: '' };

/** `?channel=sms&…`: only the filters set; dates (yyyy-mm-dd, UTC) become instants. */
function searchOf(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (filters.channel) params.set('channel', filters.channel);
  if (filters.identifierType) params.set('identifierType', filters.identifierType);
  if (filters.reason.trim()) params.set('reason', filters.reason.trim());
  if (filters.createdFrom) params.set('createdFrom', `${filters.createdFrom}T00:00:00Z`);
  if (filters.createdTo) params.set('createdTo', `${filters.createdTo}T00:00:00Z`);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The suppression list (`#/suppressions`): filter, page, add, lift, import and export. */
export function SuppressionsPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors[cursors.length - 1];
  const list = useApi<SuppressionPage>(`/suppressions${searchOf(filters, { limit: String(PAGE_SIZE), ...(after ? { after } : {}) })}`);
  const [exportError, setExportError] = useState<string>();
  const changed = () => (setCursors([]), list.reload());
  const setFilter = (name: keyof Filters, value: string) => (setFilters({ ...filters, [name]: value }), setCursors([]));
  return (
    <>
      <div className="page-head">
        <h1>Suppressions</h1>
        <button
          type="button"
          onClick={() =>
            downloadSuppressions(searchOf(filters)).then(
              () => setExportError(undefined),
              (e) => setExportError(describeError(e)),
            )
          }
        >
          Export CSV
        </button>
      </div>
      {exportError && <p role="alert">Export: {exportError}</p>}
      <p className="muted">Identifiers never contacted on a channel (or on all). Every change is kept in the audit log.</p>
      <div className="grid">
        <AddForm onAdded={changed} />
        <ImportForm onImported={changed} />
      </div>
      <section aria-label="Filters" className="card">
        <div className="actions">
          <Select label="Channel" value={filters.channel} options={CHANNELS} onChange={(value) => setFilter('channel', value)} />
          <Select
            label="Identifier type"
            value={filters.identifierType}
            options={IDENTIFIER_TYPES}
            onChange={(value) => setFilter('identifierType', value)}
          />
          <Field label="Reason contains" value={filters.reason} onChange={(value) => setFilter('reason', value)} />
          <Field label="Created from" type="date" value={filters.createdFrom} onChange={(value) => setFilter('createdFrom', value)} />
          <Field label="Created before" type="date" value={filters.createdTo} onChange={(value) => setFilter('createdTo', value)} />
        </div>
      </section>
      {list.error && <p role="alert">{list.error}</p>}
      {list.data && <SuppressionTable page={list.data} onLifted={changed} />}
      <div className="actions">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
        >
          Next page
        </button>
      </div>
    </>
  );
}

function SuppressionTable({ page, onLifted }: { page: SuppressionPage; onLifted: () => void }) {
  return (
    <>
      <p role="status">{page.total === 1 ? '1 suppression' : `${page.total} suppressions`}</p>
      <table aria-label="Suppressions">
        <thead>
          <tr>
            <th scope="col">Identifier</th>
            <th scope="col">Type</th>
            <th scope="col">Channel</th>
            <th scope="col">Reason</th>
            <th scope="col">Added</th>
            <th scope="col">Lift</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((item) => (
            <SuppressionRow key={item.id} item={item} onLifted={onLifted} />
          ))}
        </tbody>
      </table>
    </>
  );
}

function SuppressionRow({ item, onLifted }: { item: Suppression; onLifted: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const lift = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      await api('POST', '/suppressions/removals', {
        identifierType: item.identifierType,
        value: item.value,
        channel: item.channel,
        reason,
      });
      onLifted();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <tr>
      <td>{item.value}</td>
      <td>{item.identifierType}</td>
      <td>{item.channel}</td>
      <td>{item.reason}</td>
      <td>{new Date(item.createdAt).toISOString().slice(0, 16).replace('T', ' ')}</td>
      <td>
        <form onSubmit={lift} className="actions">
          <input
            aria-label={`Reason to lift ${item.value} on ${item.channel}`}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
          <button type="submit">Lift</button>
        </form>
        {error && <p role="alert">{error}</p>}
      </td>
    </tr>
  );
}

function AddForm({ onAdded }: { onAdded: () => void }) {
  const id = useId();
  const [identifierType, setType] = useState('email');
  const [value, setValue] = useState('');
  const [channel, setChannel] = useState('all');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const added = await api<{ created: boolean; suppression: Suppression; removals: unknown[] }>('POST', '/suppressions', {
        identifierType,
        value,
        channel,
        reason,
      });
      const queued = added.removals.length ? `; removal queued for ${added.removals.length} activation(s)` : '';
      setStatus({
        ok: true,
        text: `${added.created ? 'Suppressed' : 'Already suppressed'}: ${added.suppression.value} on ${added.suppression.channel}${queued}`,
      });
      setValue('');
      setReason('');
      onAdded();
    } catch (failure) {
      setStatus({ ok: false, text: describeError(failure) });
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add a suppression</h2>
      <Select label="Type" value={identifierType} options={IDENTIFIER_TYPES} onChange={setType} required />
      <Field label="Identifier" value={value} onChange={setValue} />
      <Select label="Suppressed channel" value={channel} options={CHANNELS} onChange={setChannel} required />
      <Field label="Reason" value={reason} onChange={setReason} />
      <div className="actions">
        <button type="submit" className="primary">
          Suppress
        </button>
      </div>
      {status && <p role={status.ok ? 'status' : 'alert'}>{status.text}</p>}
    </form>
  );
}

function ImportForm({ onImported }: { onImported: () => void }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [reason, setReason] = useState('imported');
  const [report, setReport] = useState<ImportReport>();
  const [error, setError] = useState<string>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file) return setError('choose a CSV file');
    try {
      setReport(await uploadSuppressions(file, reason));
      setError(undefined);
      onImported();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Import a CSV</h2>
      <p className="muted">Header: identifier_type,identifier_value,channel,reason (channel and reason optional).</p>
      <div className="form-row">
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input id={`${id}-file`} type="file" accept=".csv,text/csv" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
      </div>
      <Field label="Default reason" value={reason} onChange={setReason} />
      <div className="actions">
        <button type="submit" className="primary">
          Import
        </button>
      </div>
      {error && <p role="alert">{error}</p>}
      {report && (
        <div role="status" aria-label="Import report">
          <p>
            {report.lines} lines: {report.added} added, {report.alreadySuppressed} already suppressed, {report.invalidCount} invalid
          </p>
          {report.invalid.length > 0 && (
            <ul aria-label="Invalid lines">
              {report.invalid.map((line) => (
                <li key={line.line}>
                  line {line.line}: {line.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}

function Field(props: { label: string; value: string; onChange: (value: string) => void; type?: string }) {
  const id = useId();
  return (
    <div className="form-row">
      <label htmlFor={id}>{props.label}</label>
      <input id={id} type={props.type ?? 'text'} value={props.value} onChange={(event) => props.onChange(event.target.value)} />
    </div>
  );
}

function Select(props: { label: string; value: string; options: string[]; onChange: (value: string) => void; required?: boolean }) {
  const id = useId();
  return (
    <div className="form-row">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        {!props.required && <option value="">any</option>}
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}
