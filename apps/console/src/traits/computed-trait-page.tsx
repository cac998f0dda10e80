import { useState } from 'react';
import { api, ApiError, describeError } from '../api-client';
import { CadenceField } from '../builder/cadence-field';
import { FieldErrors, FieldIssuesProvider, issuesOf } from '../builder/field-errors';
import { formatDate, formatNumber } from '../format';
import { useApi } from '../use-api';
import { DistributionView, TraitDefinitionFields, usePreviewDistribution } from './trait-definition-fields';
import { TRAIT_CADENCE_HINT } from './computed-traits-page';
import { ComputedTrait, describeTrait, TraitDefinition, TraitValues } from './trait-types';
import { useCanWriteTraits } from './write-access';

/** The API's sentence, then what each detail names ("live segments read spend_90d: vip; …" — segments: segment vip reads …). */
const refusal = (failure: unknown): string =>
  failure instanceof ApiError && failure.details.length > 0 ? `${failure.message} (${failure.describe()})` : describeError(failure);

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * `#/computed-traits/:key`: the trait's card and current version, its last run, the latest stored
 * values; for marketers and admins Run now, a new version (previewed first) and Delete (refused
 * with the API's reason while live segments read it).
 */
export function ComputedTraitPage({ traitKey }: { traitKey: string }) {
  const path = `/computed-traits/${encodeURIComponent(traitKey)}`;
  const trait = useApi<ComputedTrait>(path);
  const values = useApi<TraitValues>(`${path}/values?limit=20`);
  const canWrite = useCanWriteTraits();
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const act = async (action: () => Promise<string>) => {
    try {
      setStatus({ ok: true, text: await action() });
      trait.reload();
      values.reload();
    } catch (failure) {
      setStatus({ ok: false, text: refusal(failure) });
    }
  };
  const runNow = () =>
    act(async () => {
      const run = await api<{ version: number; withValue: number; upserted: number; deleted: number }>('POST', `${path}/runs`);
      return `Ran version ${run.version}: ${formatNumber(run.withValue)} profiles with a value, ${formatNumber(run.upserted)} stored, ${formatNumber(run.deleted)} removed`;
    });
  const remove = () =>
    act(async () => {
      await api('DELETE', path);
      window.location.hash = '#/computed-traits';
      return 'Deleted';
    });

  if (trait.error) return <p role="alert">{trait.error}</p>;
  if (!trait.data) return <p role="status">Loading…</p>;
  const current = trait.data;
  return (
    <>
      <h1>{current.key}</h1>
      <div className="grid">
        <section className="card" aria-label="Documentation">
          <dl className="facts">
            <dt>Definition</dt>
            <dd>{describeTrait(current.definition)}</dd>
            <dt>Owner</dt>
            <dd>{current.owner}</dd>
            <dt>Cadence</dt>
            <dd>{current.cadence}</dd>
            <dt>Version</dt>
            <dd>
              v{current.version}, since {formatDate(current.versionCreatedAt)}
            </dd>
            <dt>Last run</dt>
            <dd>{formatDate(current.lastRunAt)}</dd>
            {current.description && (
              <>
                <dt>Description</dt>
                <dd>{current.description}</dd>
              </>
            )}
          </dl>
          {canWrite && (
            <div className="actions">
              <button type="button" onClick={() => void runNow()}>
                Run now
              </button>
              <button type="button" onClick={() => void remove()}>
                Delete trait
              </button>
            </div>
          )}
          {status && <p role={status.ok ? 'status' : 'alert'}>{status.text}</p>}
        </section>
        <section className="card" aria-label="Stored values">
          <h2>Latest values</h2>
          {values.error && <p role="alert">{values.error}</p>}
          {values.data?.values.length === 0 && <p className="muted">No values stored yet (run it).</p>}
          {values.data && values.data.values.length > 0 && (
            <table aria-label="Stored values">
              <thead>
                <tr>
                  <th scope="col">Profile</th>
                  <th scope="col">Value</th>
                  <th scope="col">Version</th>
                  <th scope="col">Computed at</th>
                </tr>
              </thead>
              <tbody>
                {values.data.values.map((row) => (
                  <tr key={row.profileId}>
                    <td>
                      <a href={`#/profiles/${row.profileId}`}>{row.profileId}</a>
                    </td>
                    <td>
                      <code>{shown(row.value)}</code>
                    </td>
                    <td>v{row.version}</td>
                    <td>{formatDate(row.computedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      {canWrite && <NewVersionForm trait={current} onSaved={() => (trait.reload(), setStatus({ ok: true, text: 'Saved' }))} />}
    </>
  );
}

/** A changed definition makes a new immutable version; the cadence changes in place (`PUT /computed-traits/:key`). */
function NewVersionForm({ trait, onSaved }: { trait: ComputedTrait; onSaved: () => void }) {
  const [definition, setDefinition] = useState<TraitDefinition>(trait.definition);
  const [cadence, setCadence] = useState(trait.cadence);
  const [error, setError] = useState<{ text: string; issues: ReturnType<typeof issuesOf> }>();
  const distribution = usePreviewDistribution();
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      await api('PUT', `/computed-traits/${encodeURIComponent(trait.key)}`, { definition, cadence });
      setError(undefined);
      onSaved();
    } catch (failure) {
      setError({ text: describeError(failure), issues: issuesOf(failure) });
    }
  };
  return (
    <form className="card" aria-label="Change the trait" onSubmit={save}>
      <h2>Change the trait</h2>
      <FieldIssuesProvider value={error?.issues ?? distribution.error?.issues ?? []}>
        <CadenceField value={cadence} onChange={(next) => (setCadence(next), setError(undefined))} hint={TRAIT_CADENCE_HINT} />
        <FieldErrors at="cadence" />
        <TraitDefinitionFields
          definition={definition}
          onChange={(next) => (setDefinition(next), distribution.clear(), setError(undefined))}
        />
      </FieldIssuesProvider>
      <div className="actions">
        <button type="button" onClick={() => void distribution.run(definition)} disabled={distribution.pending}>
          Preview distribution
        </button>
        <button type="submit" className="primary">
          Save changes
        </button>
      </div>
      <p className="muted">
        A changed definition is saved as version {trait.version + 1}; a cadence change alone keeps version {trait.version}.
      </p>
      {distribution.error && <p role="alert">{distribution.error.text}</p>}
      {error && <p role="alert">{error.text}</p>}
      {distribution.preview && <DistributionView preview={distribution.preview} />}
    </form>
  );
}
