import { useEffect, useId, useState } from 'react';
import { api } from '../api-client';
import { SuggestInput, SuggestionSource, useKeyTypes } from './catalogue-suggestions';
import { FieldErrors } from './field-errors';
import {
  COMPARISON_OPERATORS,
  CONTEXT_PATHS,
  COUNT_OPERATORS,
  EventFilter,
  FILTER_KINDS,
  FilterKind,
  filterKindOf,
  LEAF_TYPES,
  MEASURES,
  MESSAGE_TYPES,
  NearPoint,
  newFilter,
  newLeaf,
  parseComparedNumber,
  parseValue,
  RuleNode,
  Scalar,
  VALUE_OPERATORS,
  valueText,
} from './rule-nodes';
import { LifecycleLeaf, LocationLeaf } from './lifecycle-editors';
import { WindowField } from './window-field';

export interface EditorProps<T extends RuleNode = RuleNode> {
  node: T;
  /** The condition's name on screen: "1.2" */
  path: string;
  /** Its place in the request body, as the API's 400 names it: "definition.match.conditions.1" */
  at: string;
  onChange: (node: RuleNode) => void;
  onRemove?: () => void;
}

/** A labelled input, with the API's messages about its field (`at`) right under it. */
export function Field({ label, at, children }: { label: string; at?: string; children: (id: string) => React.ReactNode }) {
  const id = useId();
  return (
    <span className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {at && <FieldErrors at={at} />}
    </span>
  );
}

export const Select = ({
  id,
  value,
  options,
  onChange,
}: {
  id: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
}) => (
  <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
    {options.map((option) => (
      <option key={option} value={option}>
        {option.replace(/_/g, ' ')}
      </option>
    ))}
  </select>
);

/**
 * A value typed as text and parsed on every change. The text is kept as typed ("a, " while a list
 * is being written), and re-read from the node only when the node changes from elsewhere.
 */
export function TextValue({
  id,
  value,
  parse,
  placeholder,
}: {
  id: string;
  value: unknown;
  parse: (text: string) => void;
  placeholder?: string;
}) {
  const [text, setText] = useState(valueText(value));
  useEffect(() => {
    setText((current) => (sameValue(current, value) ? current : valueText(value)));
  }, [value]);
  return (
    <input
      id={id}
      value={text}
      placeholder={placeholder}
      onChange={(event) => {
        setText(event.target.value);
        parse(event.target.value);
      }}
    />
  );
}

const sameValue = (text: string, value: unknown) => valueText(value).replace(/\s+/g, '') === text.replace(/\s+/g, '').replace(/,+$/, '');

const LIST_HINT: Record<string, string> = { in: 'a, b, c', not_in: 'a, b, c', between: 'low, high' };

/** A condition on one value (a trait, or an event property in a `where` filter). */
function ValueCondition({
  label,
  path,
  at,
  nameField,
  name,
  operator,
  value,
  source,
  options,
  onChange,
}: {
  label: string;
  path: string;
  /** The JSON path of the condition or filter; `nameField` is the member holding the name. */
  at: string;
  nameField: string;
  name: string;
  operator: string;
  value: unknown;
  source: SuggestionSource | undefined;
  /** Fixed suggestions instead of the catalogue's (context paths, computed trait keys). */
  options?: readonly string[];
  onChange: (next: { name: string; operator: string; value: ReturnType<typeof parseValue> }) => void;
}) {
  const types = useKeyTypes(source, name);
  const needsValue = operator !== 'exists' && operator !== 'not_exists';
  const setName = (next: string) => onChange({ name: next, operator, value: value as ReturnType<typeof parseValue> });
  return (
    <>
      <Field label={`${label} (${path})`} at={`${at}.${nameField}`}>
        {(id) =>
          options ? (
            <ListedInput id={id} value={name} options={options} onChange={setName} />
          ) : (
            <SuggestInput id={id} value={name} source={source} onChange={setName} />
          )
        }
      </Field>
      <Field label={`Operator (${path})`} at={`${at}.operator`}>
        {(id) => (
          <Select
            id={id}
            value={operator}
            options={VALUE_OPERATORS}
            onChange={(next) => onChange({ name, operator: next, value: parseValue(next, valueText(value), types) })}
          />
        )}
      </Field>
      {needsValue && (
        <Field label={`Value (${path})`} at={`${at}.value`}>
          {(id) => (
            <TextValue
              id={id}
              value={value}
              placeholder={LIST_HINT[operator]}
              parse={(text) => onChange({ name, operator, value: parseValue(operator, text, types) })}
            />
          )}
        </Field>
      )}
    </>
  );
}

/** Leaves `value` out for exists / not_exists, as the schema wants it absent. */
function withValue<T extends object>(node: T, value: Scalar | Scalar[] | undefined): T & { value?: Scalar | Scalar[] } {
  return value === undefined ? node : { ...node, value };
}

/** A text input offering a fixed list (a `<datalist>`); free text stays allowed. */
export function ListedInput({
  id,
  value,
  options,
  onChange,
}: {
  id: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
}) {
  const listId = useId();
  return (
    <>
      <input id={id} value={value} list={listId} autoComplete="off" onChange={(event) => onChange(event.target.value)} />
      <datalist id={listId}>
        {options.map((option) => (
          <option key={option} value={option} />
        ))}
      </datalist>
    </>
  );
}

/** A number input that keeps what is typed ("-", "52.") and reports numbers. */
function NumberInput({ id, value, onChange }: { id: string; value: number; onChange: (value: number) => void }) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText((current) => (Number(current) === value ? current : String(value))), [value]);
  return (
    <input
      id={id}
      inputMode="decimal"
      className="narrow"
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        if (event.target.value.trim() !== '' && !Number.isNaN(Number(event.target.value))) onChange(Number(event.target.value));
      }}
    />
  );
}

/** "within km of latitude, longitude": a store's catchment. */
export function NearFields({
  near,
  path,
  at,
  onChange,
}: {
  near: NearPoint;
  path: string;
  at: string;
  onChange: (near: NearPoint) => void;
}) {
  return (
    <>
      {(['latitude', 'longitude', 'km'] as const).map((part) => (
        <Field
          key={part}
          label={`${part === 'km' ? 'Within km' : part === 'latitude' ? 'Latitude' : 'Longitude'} (${path})`}
          at={`${at}.${part}`}
        >
          {(id) => <NumberInput id={id} value={near[part]} onChange={(value) => onChange({ ...near, [part]: value })} />}
        </Field>
      ))}
    </>
  );
}

/**
 * An event's `where` filters. Event conditions offer the three kinds (a property, the context, or
 * near a point); lifecycle conditions filter on properties only (`kinds` = ['property']).
 */
export function WhereFilters<T extends EventFilter>({
  filters,
  path,
  at,
  event,
  kinds = ['property'],
  onChange,
}: {
  filters: T[];
  path: string;
  /** JSON path of the `where` array. */
  at: string;
  event: string;
  kinds?: readonly FilterKind[];
  onChange: (filters: T[] | undefined) => void;
}) {
  const set = (index: number, filter: EventFilter) =>
    onChange(filters.map((item, position) => (position === index ? (filter as T) : item)));
  const remove = (index: number) => {
    const rest = filters.filter((_, position) => position !== index);
    onChange(rest.length > 0 ? rest : undefined);
  };
  return (
    <div className="where" role="group" aria-label={`Property filters (${path})`}>
      {filters.map((filter, index) => {
        const filterPath = `${path} where ${index + 1}`;
        const filterAt = `${at}.${index}`;
        const kind = filterKindOf(filter);
        return (
          <div key={index} className="where-row">
            {kinds.length > 1 && (
              <Field label={`Filter on (${filterPath})`}>
                {(id) => <Select id={id} value={kind} options={kinds} onChange={(next) => set(index, newFilter(next as FilterKind))} />}
              </Field>
            )}
            {'near' in filter ? (
              <NearFields near={filter.near} path={filterPath} at={`${filterAt}.near`} onChange={(near) => set(index, { near })} />
            ) : 'context' in filter ? (
              <ValueCondition
                label="Context path"
                path={filterPath}
                at={filterAt}
                nameField="context"
                name={filter.context}
                operator={filter.operator}
                value={filter.value}
                source={undefined}
                options={CONTEXT_PATHS}
                onChange={(next) => set(index, withValue({ context: next.name, operator: next.operator }, next.value))}
              />
            ) : (
              <ValueCondition
                label="Property"
                path={filterPath}
                at={filterAt}
                nameField="property"
                name={filter.property}
                operator={filter.operator}
                value={filter.value}
                source={{ kind: 'properties', event }}
                onChange={(next) => set(index, withValue({ property: next.name, operator: next.operator }, next.value))}
              />
            )}
            <FieldErrors at={filterAt} exact />
            <button type="button" className="link" onClick={() => remove(index)} aria-label={`Remove filter ${filterPath}`}>
              Remove filter
            </button>
          </div>
        );
      })}
      <button
        type="button"
        className="link"
        onClick={() => onChange([...filters, newFilter('property') as T])}
        aria-label={`Add property filter (${path})`}
      >
        + property filter
      </button>
    </div>
  );
}

function EventLeaf({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'event' }>>) {
  const count = node.count ?? { operator: 'at_least', value: 1 };
  const measure = node.aggregate ? node.aggregate.function : 'count';
  const { count: _count, aggregate: _aggregate, ...plain } = node;
  const setCount = (next: { operator: string; value: number }) => onChange({ ...plain, count: next });
  const setMeasure = (next: string) =>
    onChange(
      next === 'count'
        ? plain
        : {
            ...plain,
            aggregate: { function: next, property: node.aggregate?.property ?? '', operator: 'gt', value: node.aggregate?.value ?? 0 },
          },
    );
  const setWhere = (where: EventFilter[] | undefined) => {
    const { where: _where, ...rest } = node;
    onChange(where ? { ...rest, where } : rest);
  };
  const setMessageType = (messageType: string) => {
    const { messageType: _type, ...rest } = node;
    onChange(messageType === 'any' ? rest : { ...rest, messageType });
  };
  const anyOfType = node.messageType === 'page' || node.messageType === 'screen';
  return (
    <>
      <Field label={`Message type (${path})`} at={`${at}.messageType`}>
        {(id) => <Select id={id} value={node.messageType ?? 'any'} options={['any', ...MESSAGE_TYPES]} onChange={setMessageType} />}
      </Field>
      <Field label={`Event (${path}${anyOfType ? ', empty: any ' + node.messageType : ''})`} at={`${at}.event`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={node.event ?? ''}
            required={!anyOfType}
            source={{ kind: 'events' }}
            onChange={(event) => onChange({ ...node, event })}
            placeholder="Product Added"
          />
        )}
      </Field>
      <Field label={`Measure (${path})`}>{(id) => <Select id={id} value={measure} options={MEASURES} onChange={setMeasure} />}</Field>
      {node.aggregate ? (
        <AggregateFields node={node} aggregate={node.aggregate} path={path} at={`${at}.aggregate`} onChange={onChange} />
      ) : (
        <>
          <Field label="Times">
            {(id) => (
              <Select id={id} value={count.operator} options={COUNT_OPERATORS} onChange={(operator) => setCount({ ...count, operator })} />
            )}
          </Field>
          <Field label="Count">
            {(id) => (
              <input
                id={id}
                type="number"
                min={0}
                className="narrow"
                value={count.value}
                onChange={(event) => setCount({ ...count, value: Number(event.target.value) })}
              />
            )}
          </Field>
        </>
      )}
      <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
      <FieldErrors at={`${at}.window`} />
      <WhereFilters
        filters={node.where ?? []}
        path={path}
        at={`${at}.where`}
        event={node.event ?? ''}
        kinds={FILTER_KINDS}
        onChange={setWhere}
      />
    </>
  );
}

type EventNode = Extract<RuleNode, { type: 'event' }>;

/** sum / avg / min / max of a number property, compared with a number (or a range). */
function AggregateFields({
  node,
  aggregate,
  path,
  at,
  onChange,
}: {
  node: EventNode;
  aggregate: NonNullable<EventNode['aggregate']>;
  path: string;
  at: string;
  onChange: (node: RuleNode) => void;
}) {
  const set = (next: Partial<NonNullable<EventNode['aggregate']>>) => onChange({ ...node, aggregate: { ...aggregate, ...next } });
  return (
    <>
      <Field label={`Of property (${path})`} at={`${at}.property`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={aggregate.property}
            required
            source={{ kind: 'properties', event: node.event ?? '' }}
            onChange={(property) => set({ property })}
            placeholder="revenue"
          />
        )}
      </Field>
      <Field label={`Compared (${path})`}>
        {(id) => (
          <Select
            id={id}
            value={aggregate.operator}
            options={COMPARISON_OPERATORS}
            onChange={(operator) => set({ operator, value: parseComparedNumber(operator, valueText(aggregate.value)) })}
          />
        )}
      </Field>
      <Field label={`Amount (${path})`} at={`${at}.value`}>
        {(id) => (
          <TextValue
            id={id}
            value={aggregate.value}
            placeholder={aggregate.operator === 'between' ? 'low, high' : '1000'}
            parse={(text) => set({ value: parseComparedNumber(aggregate.operator, text) })}
          />
        )}
      </Field>
    </>
  );
}

function TraitLeaf({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'trait' }>>) {
  return (
    <ValueCondition
      label="Trait"
      path={path}
      at={at}
      nameField="trait"
      name={node.trait}
      operator={node.operator}
      value={node.value}
      source={{ kind: 'traits' }}
      onChange={(next) => onChange(withValue({ type: 'trait', trait: next.name, operator: next.operator }, next.value))}
    />
  );
}

/** A computed or SQL trait's stored value; the keys of the computed traits are offered. */
function ComputedTraitLeaf({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'computed_trait' }>>) {
  const keys = useComputedTraitKeys();
  return (
    <ValueCondition
      label="Computed trait"
      path={path}
      at={at}
      nameField="key"
      name={node.key}
      operator={node.operator}
      value={node.value}
      source={undefined}
      options={keys}
      onChange={(next) => onChange(withValue({ type: 'computed_trait', key: next.name, operator: next.operator }, next.value))}
    />
  );
}

/** The computed traits' keys (viewers may read them), read when the condition is shown. */
function useComputedTraitKeys(): string[] {
  const [keys, setKeys] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    api<{ key: string }[]>('GET', '/computed-traits').then(
      (traits) => live && setKeys(traits.map((trait) => trait.key)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return keys;
}

function RecencyLeaf({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'recency' }>>) {
  return (
    <>
      <Field label={`Last event (${path}, empty: any)`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={node.event ?? ''}
            source={{ kind: 'events' }}
            onChange={(event) => onChange({ ...node, event: event || undefined })}
          />
        )}
      </Field>
      <Field label="Days since">
        {(id) => (
          <Select
            id={id}
            value={node.operator}
            options={COMPARISON_OPERATORS}
            onChange={(operator) => onChange({ ...node, operator, days: parseComparedNumber(operator, valueText(node.days)) })}
          />
        )}
      </Field>
      <Field label="Days" at={`${at}.days`}>
        {(id) => (
          <TextValue
            id={id}
            value={node.days}
            placeholder={node.operator === 'between' ? 'low, high' : '30'}
            parse={(text) => onChange({ ...node, days: parseComparedNumber(node.operator, text) })}
          />
        )}
      </Field>
    </>
  );
}

/** How many events (of one name, or of any) in a window: "at least 3 events in the last 30 days". */
function FrequencyLeaf({ node, path, at, onChange }: EditorProps<Extract<RuleNode, { type: 'frequency' }>>) {
  return (
    <>
      <Field label={`Of event (${path}, empty: any)`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={node.event ?? ''}
            source={{ kind: 'events' }}
            onChange={(event) => onChange({ ...node, event: event || undefined })}
          />
        )}
      </Field>
      <Field label={`How often (${path})`}>
        {(id) => (
          <Select id={id} value={node.operator} options={COUNT_OPERATORS} onChange={(operator) => onChange({ ...node, operator })} />
        )}
      </Field>
      <Field label={`Events (${path})`} at={`${at}.value`}>
        {(id) => (
          <input
            id={id}
            type="number"
            min={0}
            className="narrow"
            value={node.value}
            onChange={(event) => onChange({ ...node, value: Number(event.target.value) })}
          />
        )}
      </Field>
      <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
      <FieldErrors at={`${at}.window`} />
    </>
  );
}

function Leaf(props: EditorProps) {
  const { node, path, at, onChange, onRemove } = props;
  const typeId = useId();
  return (
    <li className="condition" aria-label={`Condition ${path}`}>
      <span className="field">
        <label htmlFor={typeId}>Kind</label>
        <Select
          id={typeId}
          value={node.type}
          options={LEAF_TYPES}
          onChange={(type) => onChange(newLeaf(type as (typeof LEAF_TYPES)[number]))}
        />
      </span>
      {node.type === 'event' && <EventLeaf {...props} node={node} />}
      {node.type === 'trait' && <TraitLeaf {...props} node={node} />}
      {node.type === 'computed_trait' && <ComputedTraitLeaf {...props} node={node} />}
      {(node.type === 'sequence' || node.type === 'first_time' || node.type === 'stopped' || node.type === 'regularly') && (
        <LifecycleLeaf {...props} node={node} />
      )}
      {node.type === 'location' && <LocationLeaf {...props} node={node} />}
      {node.type === 'recency' && <RecencyLeaf {...props} node={node} />}
      {node.type === 'frequency' && <FrequencyLeaf {...props} node={node} />}
      {node.type === 'segment' && (
        <Field label={`Segment key (${path})`} at={`${at}.segment`}>
          {(id) => <input id={id} value={node.segment} onChange={(event) => onChange({ ...node, segment: event.target.value })} />}
        </Field>
      )}
      <FieldErrors at={at} exact />
      {onRemove && (
        <button type="button" className="link" onClick={onRemove} aria-label={`Remove condition ${path}`}>
          Remove
        </button>
      )}
    </li>
  );
}

/** A group (all / any, optionally negated) with its conditions and nested groups. */
export function GroupEditor({ node, path, at, onChange, onRemove }: EditorProps) {
  const negated = node.type === 'not';
  const groupAt = negated ? `${at}.condition` : at;
  const group = (negated ? node.condition : node) as Extract<RuleNode, { type: 'all' | 'any' }>;
  const matchId = useId();
  const emit = (next: Extract<RuleNode, { type: 'all' | 'any' }>, negate = negated) =>
    onChange(negate ? { type: 'not', condition: next } : next);
  const setChild = (index: number, child: RuleNode) =>
    emit({ ...group, conditions: group.conditions.map((item, at) => (at === index ? child : item)) });
  const removeChild = (index: number) => emit({ ...group, conditions: group.conditions.filter((_, at) => at !== index) });
  return (
    <fieldset className="group" aria-label={`Group ${path}`}>
      <legend>
        <label htmlFor={matchId}>Match</label>{' '}
        <select id={matchId} value={group.type} onChange={(event) => emit({ ...group, type: event.target.value as 'all' | 'any' })}>
          <option value="all">all of</option>
          <option value="any">any of</option>
        </select>{' '}
        <label>
          <input type="checkbox" checked={negated} onChange={(event) => emit(group, event.target.checked)} /> none of these (not)
        </label>
        {onRemove && (
          <button type="button" className="link" onClick={onRemove} aria-label={`Remove group ${path}`}>
            Remove group
          </button>
        )}
      </legend>
      <FieldErrors at={groupAt} exact />
      <ul>
        {group.conditions.map((child, index) => {
          const childPath = `${path}.${index + 1}`;
          const childAt = `${groupAt}.conditions.${index}`;
          const isGroup = child.type === 'all' || child.type === 'any' || child.type === 'not';
          return isGroup ? (
            <li key={index}>
              <GroupEditor
                node={child}
                path={childPath}
                at={childAt}
                onChange={(next) => setChild(index, next)}
                onRemove={() => removeChild(index)}
              />
            </li>
          ) : (
            <Leaf
              key={index}
              node={child}
              path={childPath}
              at={childAt}
              onChange={(next) => setChild(index, next)}
              onRemove={() => removeChild(index)}
            />
          );
        })}
      </ul>
      <div className="actions">
        <button type="button" onClick={() => emit({ ...group, conditions: [...group.conditions, newLeaf('event')] })}>
          Add condition
        </button>
        <button
          type="button"
          onClick={() => emit({ ...group, conditions: [...group.conditions, { type: 'any', conditions: [newLeaf('event')] }] })}
        >
          Add group
        </button>
      </div>
    </fieldset>
  );
}
