// The shapes of the computed-trait and SQL-trait routes (apps/api computed-traits / sql-traits, OpenAPI).
import type { PropertyFilter } from '../builder/rule-nodes';

export const TRAIT_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'most_frequent', 'distinct_count'] as const;

export interface TraitDefinition {
  function: string;
  event: string;
  property?: string;
  where?: PropertyFilter[];
  window: string;
}

export interface ComputedTrait {
  id: string;
  key: string;
  description: string;
  owner: string;
  cadence: string;
  version: number;
  definition: TraitDefinition;
  versionCreatedAt: string;
  versionCreatedBy: string | null;
  lastRunAt: string | null;
  lastRun: Record<string, unknown> | null;
}

export interface TraitPreview {
  profiles: number;
  withValue: number;
  withoutValue: number;
  numeric: { count: number; min: number; max: number; mean: number } | null;
  histogram: { from: number; to: number; count: number }[] | null;
  topValues: { value: unknown; count: number }[];
}

export interface TraitValues {
  key: string;
  values: { profileId: string; value: unknown; version: number; computedAt: string }[];
}

export type KeyKind = 'profile_id' | 'user_id' | 'email';

export interface SqlTrait {
  id: string;
  key: string;
  name: string;
  description: string;
  owner: string;
  cadence: string;
  version: number;
  sql: string;
  keyKind: KeyKind;
  valueColumns: string[];
  versionCreatedAt: string;
  lastRunAt: string | null;
  lastRun: Record<string, unknown> | null;
}

export interface KeyReport {
  resolved: number;
  unknown: number;
  unknownExamples: unknown[];
}

export interface SqlPreview {
  columns: { name: string; type: string }[];
  keyKind: KeyKind;
  valueColumns: string[];
  rowCount: number;
  rows: Record<string, unknown>[];
  keys: KeyReport;
}

export interface SqlRun {
  key: string;
  version: number;
  rowCount: number;
  keys: KeyReport;
  values: { upserted: number; deleted: number };
}

/** A computed trait's definition in words: "sum of revenue of “Order Completed” in the last 90 days". */
export function describeTrait(definition: TraitDefinition): string {
  const what =
    definition.function === 'count' && !definition.property
      ? 'count'
      : `${definition.function.replace(/_/g, ' ')} of ${definition.property}`;
  const where = definition.where?.length
    ? ` where ${definition.where.map((filter) => `${filter.property} ${filter.operator.replace(/_/g, ' ')}${filter.value === undefined ? '' : ` ${JSON.stringify(filter.value)}`}`).join(', ')}`
    : '';
  return `${what} of “${definition.event}”${where}, ${definition.window === 'ever' ? 'ever' : `in the ${definition.window}`}`;
}
