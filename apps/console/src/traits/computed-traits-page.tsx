import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { CadenceField } from '../builder/cadence-field';
import { FieldErrors, FieldIssue, FieldIssuesProvider, issuesOf } from '../builder/field-errors';
import { formatDate } from '../format';
import { useApi } from '../use-api';
import { DistributionView, TraitDefinitionFields, usePreviewDistribution } from './trait-definition-fields';
import { ComputedTrait, describeTrait, TraitDefinition } from './trait-types';
import { useCanWriteTraits } from './write-access';

export const TRAIT_CADENCE_HINT =
  'Real time: recomputed from the profile’s own events as they arrive, and when its window passes. Manual: only when run. A schedule: every fire time (cron, UTC).';

/** `#/computed-traits`: every computed trait, and (marketers and admins) a new one after previewing its distribution. */
export function ComputedTraitsPage() {
  const traits = useApi<ComputedTrait[]>('/computed-traits');
  const canWrite = useCanWriteTraits();
  return (
    <>
      <h1>Computed traits</h1>
      <p className="muted">
        A per-profile value computed from events (count, sum, average, min, max, first, last, most frequent or distinct count of a property
        in a window). Rules read it with a <code>computed trait</code> condition; activations as <code>{'{{computed.<key>}}'}</code>.
      </p>
      {traits.error && <p role="alert">{traits.error}</p>}
      {traits.data && <TraitTable traits={traits.data} />}
      {canWrite === false && <p className="muted">Read only: your key is a viewer’s.</p>}
      {canWrite && <NewTraitForm onSaved={(key) => (window.location.hash = `#/computed-traits/${key}`)} />}
    </>
  );
}

function TraitTable({ traits }: { traits: ComputedTrait[] }) {
  if (traits.length === 0) return <p className="muted">No computed traits yet.</p>;
  return (
    <table aria-label="Computed traits">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Definition</th>
          <th scope="col">Owner</th>
          <th scope="col">Cadence</th>
          <th scope="col">Version</th>
          <th scope="col">Last run</th>
        </tr>
      </thead>
      <tbody>
        {traits.map((trait) => (
          <tr key={trait.key}>
            <td>
              <a href={`#/computed-traits/${trait.key}`}>{trait.key}</a>
              {trait.description && <div className="muted">{trait.description}</div>}
            </td>
            <td>{describeTrait(trait.definition)}</td>
            <td>{trait.owner}</td>
            <td>{trait.cadence}</td>
            <td>v{trait.version}</td>
            <td>{formatDate(trait.lastRunAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const NEW_DEFINITION: TraitDefinition = { function: 'sum', event: '', property: '', window: 'last 90 days' };

function NewTraitForm({ onSaved }: { onSaved: (key: string) => void }) {
  const id = useId();
  const [card, setCard] = useState({ key: '', description: '', owner: '', cadence: 'manual' });
  const [definition, setDefinition] = useState<TraitDefinition>(NEW_DEFINITION);
  const [saveError, setSaveError] = useState<{ text: string; issues: FieldIssue[] }>();
  const distribution = usePreviewDistribution();
  const edit = (next: TraitDefinition) => {
    setDefinition(next);
    // A preview shows the definition it was made for, or none.
    distribution.clear();
    setSaveError(undefined);
  };
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api<ComputedTrait>('POST', '/computed-traits', { ...card, definition });
      onSaved(saved.key);
    } catch (failure) {
      setSaveError({ text: describeError(failure), issues: issuesOf(failure) });
    }
  };
  const issues = saveError?.issues ?? distribution.error?.issues ?? [];
  const text = (field: keyof typeof card, label: string, hint?: string) => (
    <div className="form-row">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input id={`${id}-${field}`} value={card[field]} onChange={(event) => setCard({ ...card, [field]: event.target.value })} />
      {hint && <small className="muted">{hint}</small>}
      <FieldErrors at={field} />
    </div>
  );
  return (
    <form className="card" aria-labelledby={`${id}-title`} onSubmit={save}>
      <h2 id={`${id}-title`}>New computed trait</h2>
      <FieldIssuesProvider value={issues}>
        {text('key', 'Trait key', 'a lower-case letter, then lower-case letters, digits or _')}
        {text('owner', 'Trait owner')}
        {text('description', 'Trait description')}
        <CadenceField value={card.cadence} onChange={(cadence) => setCard({ ...card, cadence })} hint={TRAIT_CADENCE_HINT} />
        <FieldErrors at="cadence" />
        <TraitDefinitionFields definition={definition} onChange={edit} />
      </FieldIssuesProvider>
      <div className="actions">
        <button type="button" onClick={() => void distribution.run(definition)} disabled={distribution.pending}>
          Preview distribution
        </button>
        <button type="submit" className="primary">
          Save trait
        </button>
      </div>
      {distribution.error && <p role="alert">{distribution.error.text}</p>}
      {saveError && <p role="alert">{saveError.text}</p>}
      {distribution.preview && <DistributionView preview={distribution.preview} />}
    </form>
  );
}
