import { EntityManager } from 'typeorm';
import { computedTraitReferencePaths, SegmentDefinition, type RealtimeProblem } from '@audiencekit/segments-domain';
import { REALTIME_CADENCE } from '@audiencekit/util';
import { SegmentsException } from '../segments.exception';
import { knownTraitKeys } from './computed-traits.repository';

/**
 * A segment saved with a `computed_trait` condition on a key no computed trait, SQL trait or stored
 * value has: 400 `unknown_computed_trait` naming each path and key (a typo would otherwise match no
 * one, or everyone with `not_equals`, silently).
 */
export async function assertTraitReferencesKnown(manager: EntityManager, definition: SegmentDefinition): Promise<void> {
  const references = computedTraitReferencePaths(definition);
  if (references.length === 0) return;
  const known = new Set((await knownTraitKeys(manager, [...new Set(references.map((reference) => reference.key))])).map((row) => row.key));
  const unknown = references.filter((reference) => !known.has(reference.key));
  if (unknown.length)
    throw new SegmentsException(
      'unknown_computed_trait',
      `definition reads computed traits that do not exist: ${[...new Set(unknown.map((reference) => reference.key))].join(', ')}`,
      unknown.map((reference) => ({ path: reference.path, message: `no computed or SQL trait has key ${reference.key}` })),
    );
}

/** For a real-time segment: every `computed_trait` it reads must be a real-time computed trait (SQL traits and cadenced traits move only when run). */
export async function traitRealtimeProblems(manager: EntityManager, definition: SegmentDefinition): Promise<RealtimeProblem[]> {
  const references = computedTraitReferencePaths(definition);
  if (references.length === 0) return [];
  const cadences = new Map(
    (await knownTraitKeys(manager, [...new Set(references.map((reference) => reference.key))])).map((row) => [row.key, row.cadence]),
  );
  return references
    .filter((reference) => cadences.get(reference.key) !== REALTIME_CADENCE)
    .map((reference) => ({
      path: reference.path,
      message: `reads computed trait "${reference.key}", which is not real time (${cadences.get(reference.key) ? `cadence "${cadences.get(reference.key)}"` : 'a SQL trait or stored values'}): its value moves only when it runs; make it a real-time computed trait first`,
    }));
}
