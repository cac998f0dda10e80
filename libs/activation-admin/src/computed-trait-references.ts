import { EntityManager } from 'typeorm';
import { AnyConnectorDefinition, ComputedTraitReference, computedKeysInTemplates } from '@audiencekit/connector-sdk';
import { knownTraitKeys } from '@audiencekit/segments-service';
import type { ErrorDetail } from '@audiencekit/util';

/**
 * Computed and SQL traits (issue #20) named by a destination's settings (the connector's
 * `computedTraitRefs`), each with its path in the request body (`settings.customFields.computed.ltv`).
 */
export function settingsComputedTraitRefs(connector: AnyConnectorDefinition, settings: unknown): ComputedTraitReference[] {
  return (connector.computedTraitRefs?.(settings) ?? []).map((ref) => ({ key: ref.key, path: `settings.${ref.path}` }));
}

/**
 * Computed traits an activation's message names: `{{computed.<key>}}` placeholders in each field
 * (`message.subject`) and a vendor template's `computedKeys` (`message.computedKeys.0`).
 */
export function messageComputedTraitRefs(message: unknown): ComputedTraitReference[] {
  if (!message || typeof message !== 'object') return [];
  const refs: ComputedTraitReference[] = [];
  for (const [field, value] of Object.entries(message)) {
    if (field === 'computedKeys' && Array.isArray(value)) {
      value.forEach((key, index) => {
        if (typeof key === 'string') refs.push({ key, path: `message.computedKeys.${index}` });
      });
      continue;
    }
    for (const key of computedKeysInTemplates(value)) refs.push({ key, path: `message.${field}` });
  }
  return refs;
}

/**
 * A 400 detail for each reference to a key no computed trait, SQL trait or stored value has: a typo
 * would otherwise sync an empty field or render an empty placeholder for everyone, silently.
 */
export async function unknownComputedTraitProblems(
  manager: EntityManager,
  refs: readonly ComputedTraitReference[],
): Promise<ErrorDetail[]> {
  if (refs.length === 0) return [];
  const known = new Set((await knownTraitKeys(manager, [...new Set(refs.map((ref) => ref.key))])).map((row) => row.key));
  return refs
    .filter((ref) => !known.has(ref.key))
    .map((ref) => ({ path: ref.path, message: `no computed or SQL trait has key "${ref.key}"` }));
}
