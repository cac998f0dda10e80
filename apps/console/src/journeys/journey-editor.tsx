import { useEffect, useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { FieldErrors, FieldIssue, FieldIssuesProvider, issuesAt, issuesOf } from '../builder/field-errors';
import type { Destination, Page, Segment } from '../types';
import { useApi } from '../use-api';
import {
  draftOf,
  DURATION_UNITS,
  moveStep,
  newStep,
  STEP_FIELDS,
  STEP_TYPE_LABELS,
  STEP_TYPES,
  StepDraft,
  StepField,
  stepOf,
} from './journey-steps';
import { dottedPath, JourneyDefinition, JourneyView } from './journeys-api';

/** Everything the editor form holds, as the texts of its inputs. */
export interface JourneyForm {
  key: string;
  name: string;
  entrySegmentId: string;
  goalEvent: string;
  goalWithinDays: string;
  holdoutPercent: string;
  reEntryMode: 'once' | 'after_days';
  reEntryDays: string;
  steps: StepDraft[];
}

export const emptyForm = (): JourneyForm => ({
  key: '',
  name: '',
  entrySegmentId: '',
  goalEvent: '',
  goalWithinDays: '14',
  holdoutPercent: '10',
  reEntryMode: 'once',
  reEntryDays: '30',
  steps: [],
});

export function formOf(journey: JourneyView): JourneyForm {
  const { definition } = journey;
  return {
    key: journey.key,
    name: journey.name,
    entrySegmentId: definition.entrySegmentId,
    goalEvent: definition.goal?.event ?? '',
    goalWithinDays: definition.goal ? String(definition.goal.withinDays) : '',
    holdoutPercent: String(Math.round(definition.holdoutShare * 1000) / 10),
    reEntryMode: definition.reEntry.mode,
    reEntryDays: definition.reEntry.mode === 'after_days' ? String(definition.reEntry.days) : '30',
    steps: definition.steps.map(draftOf),
  };
}

/** A number when the text is one; otherwise the text, so the API's 400 names the field rather than the console guessing. */
const numberOrText = (text: string): number | string => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

/** The definition the API receives, exactly what the form shows. */
export function definitionOf(form: JourneyForm): JourneyDefinition {
  const holdout = numberOrText(form.holdoutPercent);
  return {
    entrySegmentId: form.entrySegmentId,
    goal:
      form.goalEvent.trim() === '' && form.goalWithinDays.trim() === ''
        ? null
        : { event: form.goalEvent.trim(), withinDays: numberOrText(form.goalWithinDays) as number },
    holdoutShare: (typeof holdout === 'number' ? Math.round(holdout * 10) / 1000 : holdout) as number,
    reEntry: form.reEntryMode === 'once' ? { mode: 'once' } : { mode: 'after_days', days: numberOrText(form.reEntryDays) as number },
    steps: form.steps.map(stepOf),
  };
}

/** Paths the form shows next to a field; anything else the API names stays in the page's alert. */
const PLACED = [
  'key',
  'name',
  'definition.entrySegmentId',
  'definition.goal',
  'definition.holdoutShare',
  'definition.reEntry',
  'definition.steps',
];
export const unplacedIssues = (issues: readonly FieldIssue[]): FieldIssue[] =>
  issues.filter((issue) => !PLACED.some((at) => issue.path === at || issue.path.startsWith(`${at}.`)));

/**
 * `#/journeys/new` and `#/journeys/:key/edit`: key, name, entry segment, goal, holdout, re-entry and
 * the steps (added per type, removed, moved up and down). Saving a new journey is `POST /journeys`
 * (a draft, version 1); saving an existing one is `PUT /journeys/:key/definition`, a new version.
 * The API's 400s appear next to the field their path names (`definition.steps[2].seconds`).
 */
export function JourneyEditorPage({ journeyKey }: { journeyKey?: string }) {
  const existing = useApi<JourneyView>(journeyKey ? `/journeys/${encodeURIComponent(journeyKey)}` : null);
  const segments = useApi<Page<Segment>>('/segments?limit=500');
  const destinations = useApi<Page<Destination>>('/destinations?limit=100');
  const [form, setForm] = useState<JourneyForm | undefined>(journeyKey ? undefined : emptyForm());
  useEffect(() => {
    if (existing.data && !form) setForm(formOf(existing.data));
  }, [existing.data, form]);
  if (existing.error) return <p role="alert">{existing.error}</p>;
  if (!form) return <p>Loading…</p>;
  return (
    <JourneyEditor
      form={form}
      onChange={setForm}
      editing={existing.data}
      segments={segments.data?.items ?? []}
      destinations={destinations.data?.items ?? []}
    />
  );
}

export function JourneyEditor({
  form,
  onChange,
  editing,
  segments,
  destinations,
}: {
  form: JourneyForm;
  onChange: (form: JourneyForm) => void;
  editing?: JourneyView;
  segments: Segment[];
  destinations: Destination[];
}) {
  const id = useId();
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [alert, setAlert] = useState<string>();
  const [addType, setAddType] = useState<(typeof STEP_TYPES)[number]>('send');
  const set = (patch: Partial<JourneyForm>) => onChange({ ...form, ...patch });
  const setSteps = (steps: StepDraft[]) => set({ steps });

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const definition = definitionOf(form);
      const saved = editing
        ? await api<JourneyView>('PUT', `/journeys/${encodeURIComponent(editing.key)}/definition`, { definition })
        : await api<JourneyView>('POST', '/journeys', { key: form.key, name: form.name, definition });
      window.location.hash = `#/journeys/${encodeURIComponent(saved.key)}`;
    } catch (failure) {
      const found = issuesOf(failure).map((issue) => ({ ...issue, path: dottedPath(issue.path) }));
      setIssues(found);
      const rest = unplacedIssues(found);
      setAlert(
        found.length === 0
          ? describeError(failure)
          : rest.length
            ? rest.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
            : undefined,
      );
    }
  };

  return (
    <FieldIssuesProvider value={issues}>
      <form onSubmit={save} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>{editing ? `Edit journey ${editing.name}` : 'New journey'}</h1>
        {editing && (
          <p className="muted" role="note">
            Saving makes version {editing.currentVersion + 1}. Profiles already in the journey finish on the version they entered; new
            entries take the new one.
          </p>
        )}
        <div className="grid">
          <section className="card" aria-label="Journey">
            <div className="form-row">
              <label htmlFor={`${id}-key`}>Key</label>
              <input id={`${id}-key`} value={form.key} readOnly={Boolean(editing)} onChange={(event) => set({ key: event.target.value })} />
              <FieldErrors at="key" />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-name`}>Name</label>
              <input
                id={`${id}-name`}
                value={form.name}
                readOnly={Boolean(editing)}
                onChange={(event) => set({ name: event.target.value })}
              />
              <FieldErrors at="name" />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-segment`}>Entry segment</label>
              <select id={`${id}-segment`} value={form.entrySegmentId} onChange={(event) => set({ entrySegmentId: event.target.value })}>
                <option value="">choose…</option>
                {segments.map((segment) => (
                  <option key={segment.id} value={segment.id}>
                    {segment.name} ({segment.key})
                  </option>
                ))}
              </select>
              <FieldErrors at="definition.entrySegmentId" />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-goal-event`}>Goal event</label>
              <input id={`${id}-goal-event`} value={form.goalEvent} onChange={(event) => set({ goalEvent: event.target.value })} />
              <FieldErrors at="definition.goal.event" />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-goal-days`}>Goal within (days of entry)</label>
              <input
                id={`${id}-goal-days`}
                value={form.goalWithinDays}
                inputMode="numeric"
                onChange={(event) => set({ goalWithinDays: event.target.value })}
              />
              <FieldErrors at="definition.goal.withinDays" />
              <FieldErrors at="definition.goal" exact />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-holdout`}>Control group (% held out at entry)</label>
              <input
                id={`${id}-holdout`}
                value={form.holdoutPercent}
                inputMode="decimal"
                onChange={(event) => set({ holdoutPercent: event.target.value })}
              />
              <FieldErrors at="definition.holdoutShare" />
            </div>
            <div className="form-row">
              <label htmlFor={`${id}-reentry`}>Re-entry</label>
              <select
                id={`${id}-reentry`}
                value={form.reEntryMode}
                onChange={(event) => set({ reEntryMode: event.target.value as JourneyForm['reEntryMode'] })}
              >
                <option value="once">once ever</option>
                <option value="after_days">again after some days</option>
              </select>
              {form.reEntryMode === 'after_days' && (
                <>
                  <label htmlFor={`${id}-reentry-days`}>Re-entry after (days)</label>
                  <input
                    id={`${id}-reentry-days`}
                    value={form.reEntryDays}
                    inputMode="numeric"
                    onChange={(event) => set({ reEntryDays: event.target.value })}
                  />
                </>
              )}
              <FieldErrors at="definition.reEntry" />
            </div>
          </section>
          <section className="card" aria-labelledby={`${id}-steps-title`}>
            <h2 id={`${id}-steps-title`}>Steps</h2>
            <FieldErrors at="definition.steps" exact />
            {form.steps.length === 0 && <p className="muted">No steps yet: add the first below.</p>}
            <ol className="step-flow">
              {form.steps.map((step, index) => (
                <StepEditor
                  key={step.uid}
                  issues={issues}
                  step={step}
                  index={index}
                  count={form.steps.length}
                  laterIds={form.steps.slice(index + 1).map((other) => other.id)}
                  segments={segments}
                  destinations={destinations}
                  onChange={(changed) => setSteps(form.steps.map((other) => (other.uid === step.uid ? changed : other)))}
                  onMove={(by) => setSteps(moveStep(form.steps, index, by))}
                  onRemove={() => setSteps(form.steps.filter((other) => other.uid !== step.uid))}
                />
              ))}
            </ol>
            <div className="actions">
              <label htmlFor={`${id}-add-type`}>New step</label>
              <select id={`${id}-add-type`} value={addType} onChange={(event) => setAddType(event.target.value as typeof addType)}>
                {STEP_TYPES.map((type) => (
                  <option key={type} value={type}>
                    {STEP_TYPE_LABELS[type]}
                  </option>
                ))}
              </select>
              <button type="button" onClick={() => setSteps([...form.steps, newStep(addType, form.steps)])}>
                Add step
              </button>
            </div>
          </section>
        </div>
        {alert && <p role="alert">{alert}</p>}
        <div className="actions">
          <button type="submit" className="primary">
            {editing ? 'Save as a new version' : 'Create journey'}
          </button>
          <a href={editing ? `#/journeys/${encodeURIComponent(editing.key)}` : '#/journeys'}>Cancel</a>
        </div>
      </form>
    </FieldIssuesProvider>
  );
}

function StepEditor({
  issues,
  step,
  index,
  count,
  laterIds,
  segments,
  destinations,
  onChange,
  onMove,
  onRemove,
}: {
  issues: readonly FieldIssue[];
  step: StepDraft;
  index: number;
  count: number;
  /** Jumps go forward only (the API refuses one to the same or an earlier step). */
  laterIds: string[];
  segments: Segment[];
  destinations: Destination[];
  onChange: (step: StepDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const at = `definition.steps.${index}`;
  const label = `Step ${index + 1}`;
  return (
    <li className="step-card">
      <fieldset aria-label={label}>
        <legend>
          {label}: {STEP_TYPE_LABELS[step.type]}
        </legend>
        <div className="condition">
          <div className="field">
            <label htmlFor={`${id}-id`}>Step id</label>
            <input id={`${id}-id`} value={step.id} onChange={(event) => onChange({ ...step, id: event.target.value })} />
            <FieldErrors at={`${at}.id`} />
          </div>
          {STEP_FIELDS[step.type].map((field) => (
            <div className="field" key={field.path}>
              <StepFieldInput
                id={`${id}-${field.path}`}
                field={field}
                value={step.values[field.path] ?? ''}
                laterIds={laterIds}
                segments={segments}
                destinations={destinations}
                onChange={(value) => onChange({ ...step, values: { ...step.values, [field.path]: value } })}
              />
              <FieldErrors at={`${at}.${field.path}`} />
            </div>
          ))}
        </div>
        <StepLevelErrors issues={issues} at={at} fields={['id', 'type', ...STEP_FIELDS[step.type].map((field) => field.path)]} />
        <div className="actions">
          <button type="button" className="link" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move step ${index + 1} up`}>
            Move up
          </button>
          <button
            type="button"
            className="link"
            disabled={index === count - 1}
            onClick={() => onMove(1)}
            aria-label={`Move step ${index + 1} down`}
          >
            Move down
          </button>
          <button type="button" className="link" onClick={onRemove} aria-label={`Remove step ${index + 1}`}>
            Remove
          </button>
        </div>
      </fieldset>
    </li>
  );
}

/** What the API says about the step itself or a field the form does not draw (never lost). */
export function StepLevelErrors({ issues, at, fields }: { issues: readonly FieldIssue[]; at: string; fields: string[] }) {
  const drawn = (path: string) => fields.some((field) => path === `${at}.${field}` || path.startsWith(`${at}.${field}.`));
  const left = issuesAt(issues, at).filter((issue) => !drawn(issue.path));
  if (left.length === 0) return null;
  return (
    <span className="field-error error-text" role="note" aria-label={`Problem with ${at}`}>
      {left.map((issue) => (issue.path === at ? issue.message : `${issue.path.slice(at.length + 1)}: ${issue.message}`)).join('; ')}
    </span>
  );
}

function StepFieldInput({
  id,
  field,
  value,
  laterIds,
  segments,
  destinations,
  onChange,
}: {
  id: string;
  field: StepField;
  value: string;
  laterIds: string[];
  segments: Segment[];
  destinations: Destination[];
  onChange: (value: string) => void;
}) {
  const label = <label htmlFor={id}>{field.label + (field.optional ? ' (optional)' : '')}</label>;
  const choose = (options: { value: string; label: string }[], empty = 'choose…') => (
    <>
      {label}
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{empty}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </>
  );
  switch (field.kind) {
    case 'destination':
      return choose(destinations.map((item) => ({ value: item.id, label: `${item.name} (${item.connector})` })));
    case 'segment':
      return choose(
        segments.map((item) => ({ value: item.id, label: item.key })),
        field.optional ? '—' : 'choose…',
      );
    case 'step':
      return choose(
        laterIds.map((other) => ({ value: other, label: other })),
        field.optional ? 'the next step' : 'choose…',
      );
    case 'choice':
      return choose((field.options ?? []).map((option) => ({ value: option, label: option })));
    case 'duration':
      return <DurationInput id={id} label={field.label} value={value} onChange={onChange} />;
    default:
      return (
        <>
          {label}
          <input id={id} value={value} onChange={(event) => onChange(event.target.value)} />
        </>
      );
  }
}

/** "3 days" as an amount and a unit; the text is what `stepOf` turns into seconds. */
function DurationInput({ id, label, value, onChange }: { id: string; label: string; value: string; onChange: (value: string) => void }) {
  const [amount = '', unit = 'days'] = value.trim().split(/\s+/);
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <span className="inline-fields">
        <input
          id={id}
          className="narrow"
          value={amount}
          inputMode="decimal"
          onChange={(event) => onChange(`${event.target.value} ${unit}`)}
        />
        <select aria-label={`${label} unit`} value={unit} onChange={(event) => onChange(`${amount} ${event.target.value}`)}>
          {Object.keys(DURATION_UNITS).map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </span>
    </>
  );
}
