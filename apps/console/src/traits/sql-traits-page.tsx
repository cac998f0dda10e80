import { useEffect, useId, useState } from 'react';
import { api, ApiError, describeError } from '../api-client';
import { formatDate, formatNumber } from '../format';
import { useApi } from '../use-api';
import { caretLines, SqlErrorPlace, sqlErrorPlace } from './sql-error';
import { KeyKind, SqlPreview, SqlRun, SqlTrait } from './trait-types';

const KEY_KINDS: (KeyKind | '')[] = ['', 'profile_id', 'user_id', 'email'];
const EXAMPLE_SQL = `SELECT p.id AS profile_id, p.traits->>'plan' AS plan_tier\n  FROM profiles p`;
const shown = (value: unknown) => (value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * `#/sql-traits` (admins): a SELECT over the documented views whose value columns become traits.
 * The editor previews (first rows, row count, column types, key resolution) before saving; a
 * mistake is the API's 400, a syntax error with a caret at its line and column.
 */
export function SqlTraitsPage() {
  const traits = useApi<SqlTrait[]>('/sql-traits');
  const [editing, setEditing] = useState<SqlTrait>();
  if (traits.errorStatus === 403)
    return (
      <>
        <h1>SQL traits</h1>
        <p role="status">SQL traits are for admins: your key cannot read them.</p>
      </>
    );
  return (
    <>
      <h1>SQL traits</h1>
      <p className="muted">
        One SELECT over the views <code>profiles</code>, <code>identities</code>, <code>events</code> and <code>memberships</code>,
        returning a key column (<code>profile_id</code>, <code>user_id</code> or <code>email</code>) and value columns; each value column
        becomes a trait. It runs read-only, with a statement timeout and a row cap.
      </p>
      {traits.error && <p role="alert">{traits.error}</p>}
      {traits.data && <SqlTraitTable traits={traits.data} onChanged={traits.reload} onEdit={setEditing} />}
      <SqlTraitEditor key={editing?.key ?? 'new'} editing={editing} onSaved={traits.reload} onCancel={() => setEditing(undefined)} />
    </>
  );
}

function SqlTraitTable({ traits, onChanged, onEdit }: { traits: SqlTrait[]; onChanged: () => void; onEdit: (trait: SqlTrait) => void }) {
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const act = async (action: () => Promise<string>) => {
    try {
      setStatus({ ok: true, text: await action() });
      onChanged();
    } catch (failure) {
      setStatus({ ok: false, text: describeError(failure) });
    }
  };
  const run = (key: string) =>
    act(async () => {
      const outcome = await api<SqlRun>('POST', `/sql-traits/${encodeURIComponent(key)}/runs`);
      return `${key} v${outcome.version}: ${formatNumber(outcome.rowCount)} rows, ${formatNumber(outcome.keys.resolved)} profiles, ${formatNumber(outcome.values.upserted)} values stored, ${formatNumber(outcome.values.deleted)} removed`;
    });
  const remove = (key: string) =>
    act(async () => {
      const outcome = await api<{ valuesDeleted: number }>('DELETE', `/sql-traits/${encodeURIComponent(key)}`);
      return `${key} deleted with its ${formatNumber(outcome.valuesDeleted)} values`;
    });
  if (traits.length === 0) return <p className="muted">No SQL traits yet.</p>;
  return (
    <>
      <table aria-label="SQL traits">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Traits (columns)</th>
            <th scope="col">Key kind</th>
            <th scope="col">Cadence</th>
            <th scope="col">Version</th>
            <th scope="col">Last run</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {traits.map((trait) => (
            <tr key={trait.key}>
              <td>
                {trait.key}
                <div className="muted">{trait.name}</div>
              </td>
              <td>{trait.valueColumns.join(', ')}</td>
              <td>{trait.keyKind}</td>
              <td>{trait.cadence}</td>
              <td>v{trait.version}</td>
              <td>{formatDate(trait.lastRunAt)}</td>
              <td>
                <button type="button" onClick={() => void run(trait.key)} aria-label={`Run ${trait.key}`}>
                  Run
                </button>{' '}
                <button type="button" className="link" onClick={() => onEdit(trait)} aria-label={`Edit ${trait.key}`}>
                  Edit
                </button>{' '}
                <button type="button" className="link" onClick={() => void remove(trait.key)} aria-label={`Delete ${trait.key}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {status && <p role={status.ok ? 'status' : 'alert'}>{status.text}</p>}
    </>
  );
}

interface SqlProblem {
  text: string;
  place?: SqlErrorPlace;
  fields: { path?: string; message: string }[];
}
const problemOf = (failure: unknown): SqlProblem => ({
  text: failure instanceof ApiError ? `${failure.code}: ${failure.message}` : describeError(failure),
  place: sqlErrorPlace(failure),
  fields: failure instanceof ApiError ? failure.details : [],
});

/** A new SQL trait, or (`editing`) a change to one: a changed SELECT or key kind makes a new version. */
function SqlTraitEditor({ editing, onSaved, onCancel }: { editing?: SqlTrait; onSaved: () => void; onCancel: () => void }) {
  const id = useId();
  const [card, setCard] = useState(
    editing
      ? { key: editing.key, name: editing.name, owner: editing.owner, cadence: editing.cadence }
      : { key: '', name: '', owner: '', cadence: 'manual' },
  );
  const [sql, setSql] = useState(editing?.sql ?? EXAMPLE_SQL);
  const [keyKind, setKeyKind] = useState<KeyKind | ''>(editing?.keyKind ?? '');
  useEffect(() => {
    if (editing) document.getElementById(`${id}-sql`)?.focus();
  }, [editing, id]);
  const [preview, setPreview] = useState<SqlPreview>();
  const [problem, setProblem] = useState<SqlProblem>();
  const [saved, setSaved] = useState<string>();
  const query = () => ({ sql, ...(keyKind ? { keyKind } : {}) });
  const runPreview = async () => {
    setSaved(undefined);
    try {
      setPreview(await api<SqlPreview>('POST', '/sql-traits/preview', query()));
      setProblem(undefined);
    } catch (failure) {
      setPreview(undefined);
      setProblem(problemOf(failure));
    }
  };
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const { key, ...fields } = { ...card, name: card.name || undefined, ...query() };
      const trait = editing
        ? await api<SqlTrait>('PUT', `/sql-traits/${encodeURIComponent(editing.key)}`, fields)
        : await api<SqlTrait>('POST', '/sql-traits', { key, ...fields });
      setProblem(undefined);
      setSaved(`Saved ${trait.key} (v${trait.version}): traits ${trait.valueColumns.join(', ')}`);
      onSaved();
    } catch (failure) {
      setProblem(problemOf(failure));
    }
  };
  const caret = problem?.place ? caretLines(sql, problem.place) : undefined;
  const input = (field: keyof typeof card, label: string) => (
    <div className="form-row">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        value={card[field]}
        disabled={field === 'key' && editing !== undefined}
        onChange={(event) => setCard({ ...card, [field]: event.target.value })}
      />
    </div>
  );
  return (
    <form className="card" aria-labelledby={`${id}-title`} onSubmit={save}>
      <h2 id={`${id}-title`}>{editing ? `Edit SQL trait ${editing.key}` : 'New SQL trait'}</h2>
      <div className="form-row">
        <label htmlFor={`${id}-sql`}>SELECT</label>
        <textarea
          id={`${id}-sql`}
          className="sql"
          rows={8}
          spellCheck={false}
          value={sql}
          aria-invalid={problem?.place ? true : undefined}
          aria-describedby={problem ? `${id}-problem` : undefined}
          onChange={(event) => setSql(event.target.value)}
        />
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-kind`}>Key column</label>
        <select id={`${id}-kind`} value={keyKind} onChange={(event) => setKeyKind(event.target.value as KeyKind | '')}>
          {KEY_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kind || 'found by name'}
            </option>
          ))}
        </select>
      </div>
      {problem && (
        <div id={`${id}-problem`} role="alert" aria-label="SQL problem">
          <p>{problem.text}</p>
          {caret && (
            <pre className="sql-caret" aria-label={`At line ${problem.place?.line}, column ${problem.place?.column}`}>
              {`${caret.text}\n${caret.caret}`}
            </pre>
          )}
          {problem.fields
            .filter((field) => field.path && field.path !== 'sql')
            .map((field) => (
              <p key={`${field.path}`} className="error-text">
                {field.path}: {field.message}
              </p>
            ))}
        </div>
      )}
      <div className="actions">
        <button type="button" onClick={() => void runPreview()}>
          Preview SQL
        </button>
      </div>
      {preview && <SqlPreviewView preview={preview} />}
      {input('key', 'SQL trait key')}
      {input('name', 'SQL trait name')}
      {input('owner', 'SQL trait owner')}
      {input('cadence', 'SQL trait cadence ("manual" or cron, UTC)')}
      <div className="actions">
        <button type="submit" className="primary">
          {editing ? 'Save changes' : 'Save SQL trait'}
        </button>
        {editing && (
          <button type="button" className="link" onClick={onCancel}>
            New SQL trait instead
          </button>
        )}
      </div>
      {saved && <p role="status">{saved}</p>}
    </form>
  );
}

function SqlPreviewView({ preview }: { preview: SqlPreview }) {
  return (
    <section aria-label="SQL preview">
      <p role="status">
        {formatNumber(preview.rowCount)} rows; key column <code>{preview.keyKind}</code> resolves {formatNumber(preview.keys.resolved)}{' '}
        profiles ({formatNumber(preview.keys.unknown)} unknown); traits: {preview.valueColumns.join(', ')}
      </p>
      <table aria-label="First rows">
        <thead>
          <tr>
            {preview.columns.map((column) => (
              <th scope="col" key={column.name}>
                {column.name} <span className="muted">{column.type}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, index) => (
            <tr key={index}>
              {preview.columns.map((column) => (
                <td key={column.name}>
                  <code>{shown(row[column.name])}</code>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
