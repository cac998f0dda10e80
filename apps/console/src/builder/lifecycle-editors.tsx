import { SuggestInput } from './catalogue-suggestions';
import { EditorProps, Field, NearFields, Select, TextValue, WhereFilters } from './condition-editor';
import { FieldErrors } from './field-errors';
import { LOCATION_LISTS, parseList, PropertyFilter, RuleNode, SequenceStep } from './rule-nodes';
import { WindowField } from './window-field';

type LifecycleNode = Extract<RuleNode, { type: 'sequence' | 'first_time' | 'stopped' | 'regularly' }>;
type LocationNode = Extract<RuleNode, { type: 'location' }>;

/** A duration as typed ("7 days", "12h"); the API's 400 says when it does not parse. */
function DurationField({ label, at, value, onChange }: { label: string; at: string; value: string; onChange: (value: string) => void }) {
  return (
    <Field label={label} at={at}>
      {(id) => <input id={id} className="narrow" value={value} placeholder="7 days" onChange={(event) => onChange(event.target.value)} />}
    </Field>
  );
}

function EventName({ label, at, value, onChange }: { label: string; at: string; value: string; onChange: (event: string) => void }) {
  return (
    <Field label={label} at={at}>
      {(id) => <SuggestInput id={id} value={value} required source={{ kind: 'events' }} onChange={onChange} placeholder="Product Added" />}
    </Field>
  );
}

/** Sets or removes `where` (the schema wants it absent rather than empty). */
function withWhere<T extends { where?: PropertyFilter[] }>(node: T, where: PropertyFilter[] | undefined): T {
  const { where: _where, ...rest } = node;
  return (where ? { ...rest, where } : rest) as T;
}

/** "Pricing Viewed, then Demo Requested within 7 days, in the last 30 days": 2 to 5 ordered steps. */
function SequenceFields({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'sequence' }>>) {
  const setStep = (index: number, step: SequenceStep) =>
    onChange({ ...node, steps: node.steps.map((item, position) => (position === index ? step : item)) });
  return (
    <>
      <ol className="steps" aria-label={`Steps (${path})`}>
        {node.steps.map((step, index) => {
          const stepPath = `${path} step ${index + 1}`;
          const stepAt = `${at}.steps.${index}`;
          return (
            <li key={index} aria-label={`Step ${index + 1} (${path})`}>
              <EventName
                label={`Event (${stepPath})`}
                at={`${stepAt}.event`}
                value={step.event}
                onChange={(event) => setStep(index, { ...step, event })}
              />
              <WhereFilters
                filters={step.where ?? []}
                path={stepPath}
                at={`${stepAt}.where`}
                event={step.event}
                onChange={(where) => setStep(index, withWhere(step, where as PropertyFilter[] | undefined))}
              />
              {node.steps.length > 2 && (
                <button
                  type="button"
                  className="link"
                  onClick={() => onChange({ ...node, steps: node.steps.filter((_, position) => position !== index) })}
                  aria-label={`Remove step ${stepPath}`}
                >
                  Remove step
                </button>
              )}
            </li>
          );
        })}
      </ol>
      <FieldErrors at={`${at}.steps`} exact />
      {node.steps.length < 5 && (
        <button
          type="button"
          className="link"
          onClick={() => onChange({ ...node, steps: [...node.steps, { event: '' }] })}
          aria-label={`Add step (${path})`}
        >
          + then
        </button>
      )}
      <DurationField
        label={`All steps within (${path})`}
        at={`${at}.within`}
        value={node.within}
        onChange={(within) => onChange({ ...node, within })}
      />
      <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
      <FieldErrors at={`${at}.window`} />
    </>
  );
}

/** first_time, stopped and regularly: one event (with filters) and their own timing fields. */
function SingleEventFields({ node, path, at, onChange }: EditorProps<Exclude<LifecycleNode, { type: 'sequence' }>>) {
  return (
    <>
      <EventName label={`Event (${path})`} at={`${at}.event`} value={node.event} onChange={(event) => onChange({ ...node, event })} />
      {node.type === 'stopped' ? (
        <>
          <DurationField
            label={`Did it during (${path})`}
            at={`${at}.active`}
            value={node.active}
            onChange={(active) => onChange({ ...node, active })}
          />
          <DurationField
            label={`Then quiet for (${path})`}
            at={`${at}.quiet`}
            value={node.quiet}
            onChange={(quiet) => onChange({ ...node, quiet })}
          />
        </>
      ) : (
        <>
          {node.type === 'regularly' && (
            <>
              <Field label={`On at least (${path})`} at={`${at}.atLeast`}>
                {(id) => (
                  <input
                    id={id}
                    type="number"
                    min={1}
                    className="narrow"
                    value={node.atLeast}
                    onChange={(event) => onChange({ ...node, atLeast: Number(event.target.value) })}
                  />
                )}
              </Field>
              <Field label={`Distinct (${path})`} at={`${at}.per`}>
                {(id) => (
                  <Select
                    id={id}
                    value={node.per}
                    options={['day', 'week']}
                    onChange={(per) => onChange({ ...node, per: per as 'day' | 'week' })}
                  />
                )}
              </Field>
            </>
          )}
          <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
          <FieldErrors at={`${at}.window`} />
        </>
      )}
      <WhereFilters
        filters={node.where ?? []}
        path={path}
        at={`${at}.where`}
        event={node.event}
        onChange={(where) => onChange(withWhere(node, where as PropertyFilter[] | undefined))}
      />
    </>
  );
}

export function LifecycleLeaf(props: EditorProps<LifecycleNode>) {
  const { node } = props;
  return node.type === 'sequence' ? <SequenceFields {...props} node={node} /> : <SingleEventFields {...props} node={node} />;
}

const LIST_LABELS: Record<(typeof LOCATION_LISTS)[number], string> = {
  country: 'Countries',
  region: 'Regions',
  city: 'Cities',
  postalCode: 'Postal code prefixes',
};

/** The profile's last known location: lists of countries, regions, cities, postal-code prefixes, and/or near a point. */
export function LocationLeaf({ node, path, at, onChange }: EditorProps<LocationNode>) {
  const setList = (field: (typeof LOCATION_LISTS)[number], text: string) => {
    const values = parseList(text);
    const { [field]: _old, ...rest } = node;
    onChange(values.some((value) => value !== '') ? { ...rest, [field]: values } : rest);
  };
  const { near: _near, ...withoutNear } = node;
  const { window: _window, ...withoutWindow } = node;
  return (
    <>
      {LOCATION_LISTS.map((field) => (
        <Field key={field} label={`${LIST_LABELS[field]} (${path})`} at={`${at}.${field}`}>
          {(id) => (
            <TextValue
              id={id}
              value={node[field]}
              placeholder={field === 'country' ? 'DE, AT, CH' : field === 'postalCode' ? '10, 80' : 'a, b'}
              parse={(text) => setList(field, text)}
            />
          )}
        </Field>
      ))}
      <label>
        <input
          type="checkbox"
          checked={node.near !== undefined}
          onChange={(event) => onChange(event.target.checked ? { ...node, near: { latitude: 0, longitude: 0, km: 25 } } : withoutNear)}
        />{' '}
        near a point ({path})
      </label>
      {node.near && <NearFields near={node.near} path={path} at={`${at}.near`} onChange={(near) => onChange({ ...node, near })} />}
      <label>
        <input
          type="checkbox"
          checked={node.window !== undefined}
          onChange={(event) => onChange(event.target.checked ? { ...node, window: 'last 90 days' } : withoutWindow)}
        />{' '}
        seen in a window ({path}; otherwise ever)
      </label>
      {node.window !== undefined && (
        <>
          <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
          <FieldErrors at={`${at}.window`} />
        </>
      )}
    </>
  );
}
