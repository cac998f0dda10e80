import { useState } from 'react';
import { api, describeError } from '../api-client';
import { BarChart } from '../charts/bar-chart';
import { SuggestInput } from '../builder/catalogue-suggestions';
import { Field, Select, WhereFilters } from '../builder/condition-editor';
import { FieldErrors, FieldIssue, issuesOf } from '../builder/field-errors';
import { PropertyFilter } from '../builder/rule-nodes';
import { WindowField } from '../builder/window-field';
import { formatFixed, formatNumber } from '../format';
import { TRAIT_FUNCTIONS, TraitDefinition, TraitPreview } from './trait-types';

/** What a trait computes: function, event, property (all but count), where filters, window. */
export function TraitDefinitionFields({
  definition,
  onChange,
}: {
  definition: TraitDefinition;
  onChange: (definition: TraitDefinition) => void;
}) {
  const at = 'definition';
  const { property: _property, ...withoutProperty } = definition;
  const { where: _where, ...withoutWhere } = definition;
  return (
    <div className="trait-definition">
      <Field label="Function" at={`${at}.function`}>
        {(id) => (
          <Select
            id={id}
            value={definition.function}
            options={TRAIT_FUNCTIONS}
            onChange={(next) => onChange({ ...definition, function: next })}
          />
        )}
      </Field>
      <Field label="Of event" at={`${at}.event`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={definition.event}
            required
            source={{ kind: 'events' }}
            onChange={(event) => onChange({ ...definition, event })}
            placeholder="Order Completed"
          />
        )}
      </Field>
      <Field label={`Property${definition.function === 'count' ? ' (empty: every event)' : ''}`} at={`${at}.property`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={definition.property ?? ''}
            source={{ kind: 'properties', event: definition.event }}
            onChange={(property) => onChange(property ? { ...definition, property } : withoutProperty)}
            placeholder="revenue"
          />
        )}
      </Field>
      <WindowField label="Trait window" value={definition.window} onChange={(window) => onChange({ ...definition, window })} />
      <FieldErrors at={`${at}.window`} />
      <WhereFilters<PropertyFilter>
        filters={definition.where ?? []}
        path="trait"
        at={`${at}.where`}
        event={definition.event}
        onChange={(where) => onChange(where ? { ...definition, where } : withoutWhere)}
      />
      <FieldErrors at={at} exact />
    </div>
  );
}

/** The distribution a definition gives every live profile now (`POST /computed-traits/preview`); nothing is written. */
export function usePreviewDistribution() {
  const [preview, setPreview] = useState<TraitPreview>();
  const [error, setError] = useState<{ text: string; issues: FieldIssue[] }>();
  const [pending, setPending] = useState(false);
  const run = async (definition: TraitDefinition) => {
    setPending(true);
    try {
      setPreview(await api<TraitPreview>('POST', '/computed-traits/preview', { definition }));
      setError(undefined);
    } catch (failure) {
      setPreview(undefined);
      setError({ text: describeError(failure), issues: issuesOf(failure) });
    } finally {
      setPending(false);
    }
  };
  const clear = () => (setPreview(undefined), setError(undefined));
  return { preview, error, pending, run, clear };
}

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

export function DistributionView({ preview }: { preview: TraitPreview }) {
  return (
    <section aria-label="Distribution" className="distribution">
      <p role="status">
        {formatNumber(preview.withValue)} of {formatNumber(preview.profiles)} live profiles get a value (
        {formatNumber(preview.withoutValue)} without)
      </p>
      {preview.numeric && (
        <dl className="facts" aria-label="Numeric summary">
          <dt>min</dt>
          <dd>{formatFixed(preview.numeric.min, 2)}</dd>
          <dt>max</dt>
          <dd>{formatFixed(preview.numeric.max, 2)}</dd>
          <dt>mean</dt>
          <dd>{formatFixed(preview.numeric.mean, 2)}</dd>
        </dl>
      )}
      {preview.histogram && (
        <BarChart
          label={`Histogram of the values: profiles per bucket (${preview.histogram.map((bucket) => `${formatFixed(bucket.from, 2)}–${formatFixed(bucket.to, 2)}: ${bucket.count}`).join('; ')})`}
          bars={preview.histogram.map((bucket) => ({
            label: `${formatFixed(bucket.from, 2)} – ${formatFixed(bucket.to, 2)}`,
            value: bucket.count,
          }))}
        />
      )}
      {preview.topValues.length > 0 && (
        <table aria-label="Top values">
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Profiles</th>
            </tr>
          </thead>
          <tbody>
            {preview.topValues.map((entry) => (
              <tr key={shown(entry.value)}>
                <td>
                  <code>{shown(entry.value)}</code>
                </td>
                <td>{formatNumber(entry.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
