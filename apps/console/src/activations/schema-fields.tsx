import { useId } from 'react';
import type { JsonSchema } from '../types';

/**
 * A form for a connector's settings or secrets from its JSON Schema: strings, numbers, booleans
 * and enums become inputs; nested objects are edited as JSON (rare, and the API names bad fields).
 */
export function SchemaFields({
  schema,
  values,
  onChange,
  secret,
  prefix,
}: {
  schema: JsonSchema;
  values: Record<string, unknown>;
  onChange: (values: Record<string, unknown>) => void;
  secret?: boolean;
  prefix: string;
}) {
  const base = useId();
  const properties = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const set = (name: string, value: unknown) => onChange({ ...values, [name]: value === '' ? undefined : value });
  return (
    <>
      {properties.map(([name, property]) => {
        const id = `${base}-${name}`;
        const label = `${prefix} ${name}${required.has(name) ? '' : ' (optional)'}`;
        const value = values[name];
        let input: React.ReactNode;
        if (property.enum) {
          input = (
            <select id={id} value={String(value ?? property.default ?? '')} onChange={(event) => set(name, event.target.value)}>
              {property.enum.map((option) => (
                <option key={String(option)}>{String(option)}</option>
              ))}
            </select>
          );
        } else if (property.type === 'boolean') {
          input = (
            <input
              id={id}
              type="checkbox"
              checked={Boolean(value ?? property.default)}
              onChange={(event) => set(name, event.target.checked)}
            />
          );
        } else if (property.type === 'number' || property.type === 'integer') {
          input = (
            <input
              id={id}
              type="number"
              value={value === undefined ? '' : String(value)}
              onChange={(event) => set(name, event.target.value === '' ? '' : Number(event.target.value))}
            />
          );
        } else if (property.type === 'object' || property.type === 'array') {
          input = (
            <textarea
              id={id}
              rows={3}
              defaultValue={value === undefined ? '' : JSON.stringify(value)}
              onBlur={(event) => set(name, event.target.value ? safeJson(event.target.value) : '')}
              placeholder="JSON"
            />
          );
        } else {
          input = (
            <input
              id={id}
              type={secret ? 'password' : 'text'}
              autoComplete="off"
              value={value === undefined ? '' : String(value)}
              onChange={(event) => set(name, event.target.value)}
            />
          );
        }
        return (
          <div className="form-row" key={name}>
            <label htmlFor={id}>{label}</label>
            {input}
            {property.description && <small className="muted">{property.description}</small>}
          </div>
        );
      })}
    </>
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // sent as is: the API answers 400 naming the field
  }
}
