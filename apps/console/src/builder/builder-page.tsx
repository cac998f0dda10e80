import { useEffect, useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { formatNumber } from '../format';
import type { Segment } from '../types';
import { CadenceField } from './cadence-field';
import { CatalogueFreshness } from './catalogue-suggestions';
import { GroupEditor } from './condition-editor';
import { FieldIssue, FieldIssuesProvider, issuesOf } from './field-errors';
import { definitionOf, newLeaf, RuleNode, ruleNodeOf } from './rule-nodes';

interface Card {
  key: string;
  name: string;
  owner: string;
  description: string;
  refreshCadence: string;
  kpiEvent: string;
  kpiWindowDays: number;
}

const EMPTY_CARD: Card = { key: '', name: '', owner: '', description: '', refreshCadence: 'manual', kpiEvent: '', kpiWindowDays: 7 };

function usePreview(match: RuleNode) {
  const [preview, setPreview] = useState<{ size?: number; error?: string; issues: FieldIssue[]; pending: boolean }>({
    pending: true,
    issues: [],
  });
  const body = JSON.stringify(definitionOf(match));
  useEffect(() => {
    setPreview((previous) => ({ ...previous, pending: true }));
    // Debounced: one preview per pause in typing, and answers to older bodies are dropped.
    let live = true;
    const timer = setTimeout(() => {
      api<{ size: number }>('POST', '/segments/preview', { definition: { type: 'rules', match: JSON.parse(body) }, sampleSize: 0 }).then(
        (answer) => live && setPreview({ size: answer.size, issues: [], pending: false }),
        (error: unknown) => live && setPreview({ error: describeError(error), issues: issuesOf(error), pending: false }),
      );
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [body]);
  return preview;
}

function TextField({
  label,
  value,
  onChange,
  required,
  disabled,
  hint,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  disabled?: boolean;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="form-row">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        required={required}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

export function BuilderPage({ id }: { id?: string }) {
  const [card, setCard] = useState<Card>(EMPTY_CARD);
  const [match, setMatch] = useState<RuleNode>({ type: 'all', conditions: [newLeaf('event')] });
  const [status, setStatus] = useState<string>();
  const [saveIssues, setSaveIssues] = useState<FieldIssue[]>([]);
  const [loaded, setLoaded] = useState(!id);
  const preview = usePreview(match);
  const set = (field: keyof Card) => (value: string) =>
    setCard((previous) => ({ ...previous, [field]: field === 'kpiWindowDays' ? Number(value) : value }));

  useEffect(() => {
    if (!id) return;
    api<Segment>('GET', `/segments/${id}`).then(
      (segment) => {
        setCard({
          key: segment.key,
          name: segment.name,
          owner: segment.owner,
          description: segment.description,
          refreshCadence: segment.refreshCadence,
          kpiEvent: segment.kpi?.event ?? '',
          kpiWindowDays: segment.kpi?.windowDays ?? 7,
        });
        try {
          setMatch(ruleNodeOf(segment.definition.match));
          setLoaded(true);
        } catch (error) {
          setStatus(describeError(error));
        }
      },
      (error: unknown) => setStatus(describeError(error)),
    );
  }, [id]);

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    const kpi = card.kpiEvent ? { event: card.kpiEvent, windowDays: card.kpiWindowDays } : null;
    const fields = {
      name: card.name,
      owner: card.owner,
      description: card.description,
      refreshCadence: card.refreshCadence,
      kpi,
      definition: { type: 'rules', match: definitionOf(match) },
    };
    try {
      const saved = id
        ? await api<Segment>('PATCH', `/segments/${id}`, fields)
        : await api<Segment>('POST', '/segments', { key: card.key, ...fields });
      window.location.hash = `#/segments/${saved.id}`;
    } catch (error) {
      setStatus(describeError(error));
      setSaveIssues(issuesOf(error));
    }
  };
  // The save's problems until the conditions change; the live preview's after that.
  const issues = saveIssues.length > 0 ? saveIssues : preview.issues;
  const edit = (next: RuleNode) => {
    setSaveIssues([]);
    setMatch(next);
  };

  if (!loaded) return <p role="status">{status ?? 'Loading…'}</p>;
  return (
    <form onSubmit={save} aria-labelledby="builder-title">
      <div className="page-head">
        <h1 id="builder-title">{id ? `Edit ${card.name}` : 'New rules segment'}</h1>
        <div className="preview" role="status" aria-live="polite" aria-label="Preview size">
          {preview.error ? (
            <span className="error-text">{preview.error}</span>
          ) : preview.size === undefined ? (
            'Previewing…'
          ) : (
            <strong>{formatNumber(preview.size)} profiles match</strong>
          )}
          {preview.pending && preview.size !== undefined && <span className="muted"> (updating)</span>}
        </div>
      </div>
      <div className="grid">
        <section className="card" aria-label="Documentation">
          <h2>Documentation</h2>
          <TextField
            label="Key"
            value={card.key}
            onChange={set('key')}
            required
            disabled={Boolean(id)}
            hint="lower-case letters, digits, - or _"
          />
          <TextField label="Name" value={card.name} onChange={set('name')} required />
          <TextField label="Owner" value={card.owner} onChange={set('owner')} required />
          <TextField label="Description" value={card.description} onChange={set('description')} />
          <CadenceField value={card.refreshCadence} onChange={set('refreshCadence')} />
          <TextField label="KPI event" value={card.kpiEvent} onChange={set('kpiEvent')} hint="e.g. Order Completed (empty: no KPI)" />
          <TextField label="KPI window (days)" value={String(card.kpiWindowDays)} onChange={set('kpiWindowDays')} />
        </section>
        <section className="card wide" aria-label="Conditions">
          <h2>Conditions</h2>
          <CatalogueFreshness />
          <FieldIssuesProvider value={issues}>
            <GroupEditor node={match} path="1" at="definition.match" onChange={edit} />
          </FieldIssuesProvider>
        </section>
      </div>
      {status && <p role="alert">{status}</p>}
      <div className="actions">
        <button type="submit" className="primary">
          {id ? 'Save new version' : 'Save segment'}
        </button>
        <a href="#/segments">Cancel</a>
      </div>
    </form>
  );
}
