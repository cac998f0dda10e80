import type { MemberData } from './members';

/**
 * Computed and SQL traits (issue #20) as connectors see them: `member.computed`, a record of the
 * values the activation asked for, keyed by trait key. They are addressed everywhere a trait path
 * is accepted (templates, custom-field mappings) under the `computed.` namespace:
 * `{{computed.total_spend_90d}}`, `customFields: { 'computed.total_spend_90d': 'e1_N' }`.
 */

/** The prefix that names a computed or SQL trait instead of a profile trait. */
export const COMPUTED_PREFIX = 'computed.';

/** Trait keys of computed and SQL traits: a lower-case letter, then lower-case letters, digits or `_` (1-63). */
export const COMPUTED_KEY_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** A computed trait a connector's settings name, and where (for a 400 naming the field at save). */
export interface ComputedTraitReference {
  key: string;
  /** Dotted path of the setting inside `settings`, e.g. `customFields.computed.total_spend_90d`. */
  path: string;
}

/**
 * The computed key a path names (`computed.total_spend_90d` → `total_spend_90d`), or undefined for
 * a trait path. Keys hold no dots, so `computed.a.b` names no computed trait.
 * @example computedKeyOfPath('computed.ltv') // 'ltv'
 */
export function computedKeyOfPath(path: string): string | undefined {
  if (!path.startsWith(COMPUTED_PREFIX)) return undefined;
  const key = path.slice(COMPUTED_PREFIX.length);
  return COMPUTED_KEY_PATTERN.test(key) ? key : undefined;
}

/**
 * The value a path names for a member: `computed.<key>` reads the member's computed values, any
 * other path (dotted for nested values) reads its traits. A `computed.<key>` the member has no
 * computed value for falls back to the trait path, so a profile trait object named `computed`
 * keeps working where no computed trait of that key was loaded.
 * @example memberValue({ traits: {}, computed: { ltv: 42 } }, 'computed.ltv') // 42
 */
export function memberValue(member: Pick<MemberData, 'traits' | 'computed'>, path: string): unknown {
  const key = computedKeyOfPath(path);
  if (key !== undefined && member.computed && Object.prototype.hasOwnProperty.call(member.computed, key)) return member.computed[key];
  return path
    .split('.')
    .reduce<unknown>(
      (node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined),
      member.traits,
    );
}

const COMPUTED_PLACEHOLDER = /\{\{\s*computed\.([a-z][a-z0-9_]{0,62})\s*\}\}/g;

/**
 * Computed keys that `{{computed.<key>}}` placeholders reference, in every string of a value
 * (a message template, its nested fields), deduplicated and sorted.
 * @example computedKeysInTemplates({ subject: 'You spent {{computed.spend_90d}}' }) // ['spend_90d']
 */
export function computedKeysInTemplates(value: unknown): string[] {
  const keys = new Set<string>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof node === 'string') for (const match of node.matchAll(COMPUTED_PLACEHOLDER)) keys.add(match[1]);
    else if (Array.isArray(node)) node.forEach((item) => visit(item, depth + 1));
    else if (node && typeof node === 'object') Object.values(node).forEach((item) => visit(item, depth + 1));
  };
  visit(value, 0);
  return [...keys].sort();
}

/**
 * The computed values of a member restricted to `keys` (those present), for payloads that send a
 * selection (the webhook's `computedTraits`).
 */
export function pickComputed(member: Pick<MemberData, 'computed'>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys)
    if (member.computed && Object.prototype.hasOwnProperty.call(member.computed, key)) picked[key] = member.computed[key];
  return picked;
}
