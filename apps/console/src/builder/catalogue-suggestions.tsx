import { useEffect, useId, useState } from 'react';
import { api } from '../api-client';

/** One entry of the catalogue as the builder offers it (GET /catalogue/…). */
export interface Suggestion {
  value: string;
  /** Shown beside the value: count, observed types, examples. */
  detail: string;
  types: string[];
}

interface EventItem {
  name: string;
  count: number;
}
interface KeyItem {
  key: string;
  types: string[];
  count: number;
  examples: unknown[];
}

export type SuggestionSource = { kind: 'events' } | { kind: 'traits' } | { kind: 'properties'; event: string };

const cache = new Map<string, Promise<Suggestion[]>>();
const SUGGESTIONS = 20;

function url(source: SuggestionSource, prefix: string): string {
  const query = `?prefix=${encodeURIComponent(prefix)}&limit=${SUGGESTIONS}`;
  if (source.kind === 'events') return `/catalogue/events${query}`;
  if (source.kind === 'traits') return `/catalogue/traits${query}`;
  return `/catalogue/events/${encodeURIComponent(source.event)}/properties${query}`;
}

function keyDetail(item: KeyItem): string {
  const examples = item.examples.length > 0 ? ` · e.g. ${item.examples.map((example) => String(example)).join(', ')}` : '';
  return `${item.types.join(' | ')}${examples}`;
}

/** The catalogue's entries starting with `prefix` (cached per URL for the page's life). */
function fetchSuggestions(source: SuggestionSource, prefix: string): Promise<Suggestion[]> {
  const address = url(source, prefix);
  let pending = cache.get(address);
  if (!pending) {
    pending =
      source.kind === 'events'
        ? api<{ items: EventItem[] }>('GET', address).then((page) =>
            page.items.map((item) => ({ value: item.name, detail: `${item.count} events`, types: [] })),
          )
        : api<{ items: KeyItem[] }>('GET', address).then((page) =>
            page.items.map((item) => ({ value: item.key, detail: keyDetail(item), types: item.types })),
          );
    // A failed read (a viewer's network blip) is not cached: the next keystroke asks again.
    pending.catch(() => cache.delete(address));
    cache.set(address, pending);
  }
  return pending;
}

/** Suggestions for what is typed so far; none while the event of a property list is unknown. */
export function useSuggestions(source: SuggestionSource | undefined, prefix: string): Suggestion[] {
  const [items, setItems] = useState<Suggestion[]>([]);
  const key = source ? JSON.stringify(source) : '';
  useEffect(() => {
    if (!source || (source.kind === 'properties' && !source.event)) return setItems([]);
    let live = true;
    fetchSuggestions(source, prefix).then(
      (found) => live && setItems(found),
      () => live && setItems([]),
    );
    return () => {
      live = false;
    };
  }, [key, prefix]);
  return items;
}

/**
 * A text input with the catalogue's autocomplete: a datalist of the entries starting with what is
 * typed (the browser shows each with its detail). Free text stays allowed: data may be on its way.
 */
export function SuggestInput({
  id,
  value,
  source,
  onChange,
  placeholder,
  required,
}: {
  id: string;
  value: string;
  source: SuggestionSource | undefined;
  onChange: (value: string, suggestion?: Suggestion) => void;
  placeholder?: string;
  required?: boolean;
}) {
  const listId = useId();
  const suggestions = useSuggestions(source, value);
  return (
    <>
      <input
        id={id}
        value={value}
        list={listId}
        required={required}
        autoComplete="off"
        placeholder={placeholder}
        onChange={(event) =>
          onChange(
            event.target.value,
            suggestions.find((item) => item.value === event.target.value),
          )
        }
      />
      <datalist id={listId} data-testid={`suggestions-${id}`}>
        {suggestions.map((item) => (
          <option key={item.value} value={item.value} label={item.detail} />
        ))}
      </datalist>
    </>
  );
}

/** The observed types of a key (for typing values), from the same cached catalogue reads. */
export function useKeyTypes(source: SuggestionSource | undefined, key: string): string[] {
  return useSuggestions(source, key).find((item) => item.value === key)?.types ?? [];
}

/**
 * One line saying how fresh the autocomplete is: events received before `foldedUntil` are in it
 * (the worker folds new ones every few seconds), so a marketer knows why a brand-new event is
 * not offered yet.
 */
export function CatalogueFreshness() {
  const [line, setLine] = useState<string>();
  useEffect(() => {
    let live = true;
    api<{ freshness: { foldedUntil: string | null } }>('GET', '/catalogue/events?limit=1').then(
      ({ freshness }) =>
        live &&
        setLine(
          freshness.foldedUntil
            ? `Suggestions include events received until ${new Date(freshness.foldedUntil).toLocaleString()}.`
            : 'No events in the catalogue yet: the worker adds them within seconds of their arrival.',
        ),
      () => live && setLine(undefined),
    );
    return () => {
      live = false;
    };
  }, []);
  return line ? (
    <p className="muted" aria-label="Catalogue freshness">
      {line}
    </p>
  ) : null;
}
