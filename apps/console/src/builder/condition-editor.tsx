import { useId } from 'react';
import {
  COMPARISON_OPERATORS,
  COUNT_OPERATORS,
  LEAF_TYPES,
  newLeaf,
  parseTraitValue,
  RuleNode,
  TRAIT_OPERATORS,
  traitValueText,
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

function EventLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'event' }>>) {
  const count = node.count ?? { operator: 'at_least', value: 1 };
  const setCount = (next: { operator: string; value: number }) => onChange({ ...node, count: next });
  return (
    <>
      <Field label={`Event (${path})`}>
        {(id) => (
          <input
            id={id}
            value={node.event}
            required
            onChange={(event) => onChange({ ...node, event: event.target.value })}
            placeholder="Product Added"
          />
        )}
      </Field>
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
      <WindowField label={`Window (${path})`} value={node.window} onChange={(window) => onChange({ ...node, window })} />
    </>
  );
}

function TraitLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'trait' }>>) {
  const needsValue = node.operator !== 'exists' && node.operator !== 'not_exists';
  return (
    <>
      <Field label={`Trait (${path})`}>
        {(id) => (
          <input id={id} value={node.trait} onChange={(event) => onChange({ ...node, trait: event.target.value })} placeholder="plan" />
        )}
      </Field>
      <Field label="Operator">
        {(id) => (
          <Select
            id={id}
            value={node.operator}
            options={TRAIT_OPERATORS}
            onChange={(operator) => onChange({ ...node, operator, value: parseTraitValue(operator, traitValueText(node.value)) })}
          />
        )}
      </Field>
      {needsValue && (
        <Field label="Value">
          {(id) => (
            <input
              id={id}
              value={traitValueText(node.value)}
              onChange={(event) => onChange({ ...node, value: parseTraitValue(node.operator, event.target.value) })}
            />
          )}
        </Field>
      )}
    </>
  );
}

function RecencyLeaf({ node, path, onChange }: EditorProps<Extract<RuleNode, { type: 'recency' }>>) {
  return (
    <>
      <Field label={`Last event (${path}, empty: any)`}>
        {(id) => (
          <input id={id} value={node.event ?? ''} onChange={(event) => onChange({ ...node, event: event.target.value || undefined })} />
        )}
      </Field>
      <Field label="Days since">
        {(id) => (
          <Select id={id} value={node.operator} options={COMPARISON_OPERATORS} onChange={(operator) => onChange({ ...node, operator })} />
        )}
      </Field>
      <Field label="Days">
        {(id) => (
          <input
            id={id}
            type="number"
            min={0}
            className="narrow"
            value={node.days}
            onChange={(event) => onChange({ ...node, days: Number(event.target.value) })}
          />
        )}
      </Field>
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
