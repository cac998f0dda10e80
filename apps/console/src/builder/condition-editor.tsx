import { useEffect, useId, useState } from 'react';
import { SuggestInput, SuggestionSource, useKeyTypes } from './catalogue-suggestions';
import {
  COMPARISON_OPERATORS,
  COUNT_OPERATORS,
  LEAF_TYPES,
  MEASURES,
  newLeaf,
  parseComparedNumber,
  parseValue,
  PropertyFilter,
  RuleNode,
  Scalar,
  VALUE_OPERATORS,
  valueText,
} from './rule-nodes';
import { WindowField } from './window-field';

interface EditorProps<T extends RuleNode = RuleNode> {
  node: T;
  path: string;
  onChange: (node: RuleNode) => void;
  onRemove?: () => void;
}

function Field({ label, children }: { label: string; children: (id: string) => React.ReactNode }) {
  const id = useId();
  return (
    <span className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </span>
  );
}

const Select = ({
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
function TextValue({ id, value, parse, placeholder }: { id: string; value: unknown; parse: (text: string) => void; placeholder?: string }) {
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
  name,
  operator,
  value,
  source,
  onChange,
}: {
  label: string;
  path: string;
  name: string;
  operator: string;
  value: unknown;
  source: SuggestionSource | undefined;
  onChange: (next: { name: string; operator: string; value: ReturnType<typeof parseValue> }) => void;
}) {
  const types = useKeyTypes(source, name);
  const needsValue = operator !== 'exists' && operator !== 'not_exists';
  return (
    <>
      <Field label={`${label} (${path})`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={name}
            source={source}
            onChange={(next) => onChange({ name: next, operator, value: value as ReturnType<typeof parseValue> })}
          />
        )}
      </Field>
      <Field label={`Operator (${path})`}>
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
        <Field label={`Value (${path})`}>
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

function WhereFilters({
  filters,
  path,
  event,
  onChange,
}: {
  filters: PropertyFilter[];
  path: string;
  event: string;
  onChange: (filters: PropertyFilter[] | undefined) => void;
}) {
  const set = (index: number, filter: PropertyFilter) => onChange(filters.map((item, at) => (at === index ? filter : item)));
  const remove = (index: number) => {
    const rest = filters.filter((_, at) => at !== index);
    onChange(rest.length > 0 ? rest : undefined);
  };
  return (
    <div className="where" role="group" aria-label={`Property filters (${path})`}>
      {filters.map((filter, index) => {
        const filterPath = `${path} where ${index + 1}`;
        return (
          <div key={index} className="where-row">
            <ValueCondition
              label="Property"
              path={filterPath}
              name={filter.property}
              operator={filter.operator}
              value={filter.value}
              source={{ kind: 'properties', event }}
              onChange={(next) => set(index, withValue({ property: next.name, operator: next.operator }, next.value))}
            />
            <button type="button" className="link" onClick={() => remove(index)} aria-label={`Remove filter ${filterPath}`}>
              Remove filter
            </button>
          </div>
        );
      })}
      <button
        type="button"
        className="link"
        onClick={() => onChange([...filters, { property: '', operator: 'equals', value: '' }])}
        aria-label={`Add property filter (${path})`}
      >
        + property filter
      </button>
    </div>
  );
}

function EventLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'event' }>>) {
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
  const setWhere = (where: PropertyFilter[] | undefined) => {
    const { where: _where, ...rest } = node;
    onChange(where ? { ...rest, where } : rest);
  };
  return (
    <>
      <Field label={`Event (${path})`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={node.event}
            required
            source={{ kind: 'events' }}
            onChange={(event) => onChange({ ...node, event })}
            placeholder="Product Added"
          />
        )}
      </Field>
      <Field label={`Measure (${path})`}>{(id) => <Select id={id} value={measure} options={MEASURES} onChange={setMeasure} />}</Field>
      {node.aggregate ? (
        <AggregateFields node={node} aggregate={node.aggregate} path={path} onChange={onChange} />
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
      <WhereFilters filters={node.where ?? []} path={path} event={node.event} onChange={setWhere} />
    </>
  );
}

type EventNode = Extract<RuleNode, { type: 'event' }>;

/** sum / avg / min / max of a number property, compared with a number (or a range). */
function AggregateFields({
  node,
  aggregate,
  path,
  onChange,
}: {
  node: EventNode;
  aggregate: NonNullable<EventNode['aggregate']>;
  path: string;
  onChange: (node: RuleNode) => void;
}) {
  const set = (next: Partial<NonNullable<EventNode['aggregate']>>) => onChange({ ...node, aggregate: { ...aggregate, ...next } });
  return (
    <>
      <Field label={`Of property (${path})`}>
        {(id) => (
          <SuggestInput
            id={id}
            value={aggregate.property}
            required
            source={{ kind: 'properties', event: node.event }}
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
      <Field label={`Amount (${path})`}>
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

function TraitLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'trait' }>>) {
  return (
    <ValueCondition
      label="Trait"
      path={path}
      name={node.trait}
      operator={node.operator}
      value={node.value}
      source={{ kind: 'traits' }}
      onChange={(next) => onChange(withValue({ type: 'trait', trait: next.name, operator: next.operator }, next.value))}
    />
  );
}

function RecencyLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'recency' }>>) {
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
      <Field label="Days">
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
function FrequencyLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'frequency' }>>) {
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
      <Field label={`Events (${path})`}>
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
    </>
  );
}

function Leaf(props: EditorProps) {
  const { node, path, onChange, onRemove } = props;
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
      {node.type === 'recency' && <RecencyLeaf {...props} node={node} />}
      {node.type === 'frequency' && <FrequencyLeaf {...props} node={node} />}
      {node.type === 'segment' && (
        <Field label={`Segment key (${path})`}>
          {(id) => <input id={id} value={node.segment} onChange={(event) => onChange({ ...node, segment: event.target.value })} />}
        </Field>
      )}
      {onRemove && (
        <button type="button" className="link" onClick={onRemove} aria-label={`Remove condition ${path}`}>
          Remove
        </button>
      )}
    </li>
  );
}

/** A group (all / any, optionally negated) with its conditions and nested groups. */
export function GroupEditor({ node, path, onChange, onRemove }: EditorProps) {
  const negated = node.type === 'not';
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
      <ul>
        {group.conditions.map((child, index) => {
          const childPath = `${path}.${index + 1}`;
          const isGroup = child.type === 'all' || child.type === 'any' || child.type === 'not';
          return isGroup ? (
            <li key={index}>
              <GroupEditor node={child} path={childPath} onChange={(next) => setChild(index, next)} onRemove={() => removeChild(index)} />
            </li>
          ) : (
            <Leaf
              key={index}
              node={child}
              path={childPath}
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
