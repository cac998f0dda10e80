import type { EntityManager } from 'typeorm';
import { AnyConnectorDefinition, computedKeysInTemplates } from '@audiencekit/connector-sdk';
import type { CandidateRow } from './candidates.repository';

/**
 * Computed and SQL trait values (issue #20, `computed_trait_values`) for the members of a page, in
 * one query for the whole page (never one per member), restricted to the keys the activation uses.
 * Returns profile id → { key: value }; a profile with none of the keys is absent.
 */
export async function readComputedValues(
  manager: EntityManager,
  profileIds: readonly string[],
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const values = new Map<string, Record<string, unknown>>();
  if (profileIds.length === 0 || keys.length === 0) return values;
  const rows: { profile_id: string; computed: Record<string, unknown> }[] = await manager.query(
    `SELECT v.profile_id, jsonb_object_agg(v.key, v.value) AS computed
       FROM computed_trait_values v
      WHERE v.profile_id = ANY($1::uuid[]) AND v.key = ANY($2::text[])
      GROUP BY v.profile_id`,
    [profileIds, keys],
  );
  for (const row of rows) values.set(row.profile_id, row.computed);
  return values;
}

/**
 * Sets `computed` on add candidates (an empty record for a profile without values, so every member
 * of an activation that uses computed traits carries the field). No keys: rows are returned as read.
 */
export async function withComputedValues(manager: EntityManager, rows: CandidateRow[], keys: readonly string[]): Promise<CandidateRow[]> {
  if (keys.length === 0 || rows.length === 0) return rows;
  const values = await readComputedValues(
    manager,
    rows.filter((row) => !row.gone).map((row) => row.profileId),
    keys,
  );
  for (const row of rows) row.computed = values.get(row.profileId) ?? {};
  return rows;
}

/**
 * The computed keys an activation uses: what the connector's settings map (`computedTraitRefs`),
 * `{{computed.<key>}}` placeholders of the message, and a vendor-side template's `computedKeys`.
 * Sorted, once each; empty when none (the candidate read then costs nothing more).
 */
export function computedKeysOfActivation(connector: AnyConnectorDefinition, settings: unknown, message: unknown): string[] {
  const keys = new Set<string>(computedKeysInTemplates(message));
  for (const ref of connector.computedTraitRefs?.(settings) ?? []) keys.add(ref.key);
  const declared = message && typeof message === 'object' ? (message as { computedKeys?: unknown }).computedKeys : undefined;
  if (Array.isArray(declared)) for (const key of declared) if (typeof key === 'string') keys.add(key);
  return [...keys].sort();
}
