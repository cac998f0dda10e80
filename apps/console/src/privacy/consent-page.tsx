import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import type { Destination, Page } from '../types';
import { useApi } from '../use-api';
import type { ConsentCategory } from './privacy-api';

/**
 * Consent settings (`#/consent`): the operator's consent categories (a profile's consent is the
 * trait `consent.<key>`) and, per destination, the categories its members must have given.
 */
export function ConsentPage() {
  const categories = useApi<ConsentCategory[]>('/consent/categories');
  const destinations = useApi<Page<Destination>>('/destinations?limit=200');
  return (
    <>
      <h1>Consent</h1>
      <p className="muted">
        A member is sent to a destination only with <code>consent.&lt;key&gt;: true</code> for each category it requires. Set it with
        identify traits from a server source, e.g. <code>{'{ "consent": { "email_marketing": true } }'}</code>, or on a profile through the
        API.
      </p>
      {categories.error && <p role="alert">{categories.error}</p>}
      <div className="grid">
        <section className="card" aria-labelledby="categories-title">
          <h2 id="categories-title">Categories</h2>
          {categories.data && <CategoryTable categories={categories.data} onChanged={categories.reload} />}
        </section>
        <CategoryForm onSaved={categories.reload} />
      </div>
      <section className="card" aria-labelledby="destinations-title">
        <h2 id="destinations-title">Consent each destination requires</h2>
        {destinations.error && <p role="alert">{destinations.error}</p>}
        {destinations.data?.items.length === 0 && <p className="muted">No destinations yet.</p>}
        {categories.data &&
          destinations.data?.items.map((destination) => (
            <DestinationCategories
              key={destination.id}
              destination={destination}
              categories={categories.data ?? []}
              onSaved={categories.reload}
            />
          ))}
      </section>
    </>
  );
}

function CategoryTable({ categories, onChanged }: { categories: ConsentCategory[]; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const remove = async (key: string) => {
    try {
      await api('DELETE', `/consent/categories/${encodeURIComponent(key)}`);
      setError(undefined);
      onChanged();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  if (categories.length === 0) return <p className="muted">No categories yet.</p>;
  return (
    <>
      <table aria-label="Consent categories">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Label</th>
            <th scope="col">Required by</th>
            <th scope="col">Delete</th>
          </tr>
        </thead>
        <tbody>
          {categories.map((category) => (
            <tr key={category.key}>
              <td>
                <code>{category.key}</code>
              </td>
              <td>
                {category.label}
                {category.description && <div className="muted">{category.description}</div>}
              </td>
              <td className="number">{category.destinationIds.length}</td>
              <td>
                <button type="button" className="link" aria-label={`Delete ${category.key}`} onClick={() => remove(category.key)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p role="alert">{error}</p>}
    </>
  );
}

function CategoryForm({ onSaved }: { onSaved: () => void }) {
  const id = useId();
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api<ConsentCategory & { created: boolean }>('PUT', `/consent/categories/${encodeURIComponent(key)}`, {
        label,
        description,
      });
      setStatus({ ok: true, text: `${saved.created ? 'Created' : 'Updated'} ${saved.key}` });
      onSaved();
    } catch (failure) {
      setStatus({ ok: false, text: describeError(failure) });
    }
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add or edit a category</h2>
      {(
        [
          ['Key', key, setKey],
          ['Label', label, setLabel],
          ['Description', description, setDescription],
        ] as const
      ).map(([name, value, set]) => (
        <div className="form-row" key={name}>
          <label htmlFor={`${id}-${name}`}>Category {name.toLowerCase()}</label>
          <input id={`${id}-${name}`} value={value} onChange={(event) => set(event.target.value)} />
        </div>
      ))}
      <div className="actions">
        <button type="submit" className="primary">
          Save category
        </button>
      </div>
      {status && <p role={status.ok ? 'status' : 'alert'}>{status.text}</p>}
    </form>
  );
}

function DestinationCategories(props: { destination: Destination; categories: ConsentCategory[]; onSaved: () => void }) {
  const { destination, categories } = props;
  const required = categories.filter((category) => category.destinationIds.includes(destination.id)).map((category) => category.key);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string }>();
  const current = chosen ?? required;
  const toggle = (key: string) => setChosen(current.includes(key) ? current.filter((item) => item !== key) : [...current, key]);
  const save = async () => {
    try {
      const saved = await api<{ categories: string[] }>('PUT', `/destinations/${destination.id}/consent-categories`, {
        categories: current,
      });
      setStatus({ ok: true, text: saved.categories.length ? `Requires ${saved.categories.join(', ')}` : 'Requires no category' });
      setChosen(null);
      props.onSaved();
    } catch (failure) {
      setStatus({ ok: false, text: describeError(failure) });
    }
  };
  return (
    <fieldset aria-label={`Consent for ${destination.name}`}>
      <legend>
        {destination.name} <span className="muted">({destination.connector})</span>
      </legend>
      <div className="actions">
        {categories.map((category) => (
          <label key={category.key}>
            <input type="checkbox" checked={current.includes(category.key)} onChange={() => toggle(category.key)} /> {category.label}
          </label>
        ))}
        <button type="button" onClick={save}>
          Save
        </button>
      </div>
      {status && <p role={status.ok ? 'status' : 'alert'}>{status.text}</p>}
    </fieldset>
  );
}
