import { maskIdentifiers, mayReadPii } from '@audiencekit/activation-admin';
import type { ApiKeyRole } from '@audiencekit/persistence';

/** Freshness of the catalogue: events received before `foldedUntil` are in it. */
export interface CatalogueFreshness {
  /** null until the first fold. */
  foldedUntil: string | null;
  /** When the last fold ran (null: never). */
  foldedAt: string | null;
  eventsFolded: number;
}

export interface CatalogueEvent {
  name: string;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface CatalogueKey {
  key: string;
  /** JSON types observed: string, number, boolean, object, array, null. */
  types: string[];
  /** Events (or identify calls, for traits) that carried the key. */
  count: number;
  lastSeenAt: string;
  examples: unknown[];
}

export interface CataloguePage<T> {
  items: T[];
  freshness: CatalogueFreshness;
}

/**
 * Keys that name an identifier (email, phone, user id, anonymous id, any `…id`): below admin
 * their examples are masked whole, since a user id has no shape a text scan would recognise.
 * The last segment of a dot path decides (`customer.email`).
 */
const IDENTIFIER_KEY =
  /(^|[._-])(e-?mail|phone|mobile|msisdn|user_?id|userid|anonymous_?id|anonymousid|customer_?id|id)$|(?:[a-z0-9])(Id|ID|Email|Phone)$/;

export function isIdentifierKey(key: string): boolean {
  const last = key.split('.').pop() ?? key;
  return IDENTIFIER_KEY.test(last) || IDENTIFIER_KEY.test(last.toLowerCase());
}

/** `u-12345` → `u***`: one character, enough to tell the kind of value, nothing of the person. */
export function maskWhole(value: unknown): unknown {
  if (typeof value === 'string') return value.length === 0 ? value : `${value[0]}***`;
  if (typeof value === 'number') return '***';
  return value;
}

/**
 * The keys as this role may see them: admins read examples in the clear; everyone else sees
 * examples of identifier keys masked whole and email addresses and phone numbers inside any other
 * example masked (the masking of libs/activation-admin).
 */
export function keysForRole(keys: CatalogueKey[], role: ApiKeyRole | undefined): CatalogueKey[] {
  if (mayReadPii(role)) return keys;
  return keys.map((entry) => ({
    ...entry,
    examples: entry.examples.map((example) =>
      isIdentifierKey(entry.key) ? maskWhole(example) : typeof example === 'string' ? maskIdentifiers(example) : example,
    ),
  }));
}
