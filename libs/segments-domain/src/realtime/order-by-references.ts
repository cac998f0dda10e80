import { RulesDefinition } from '../rules/definition.schema';
import { findSegmentReferenceCycle, segmentReferences } from '../rules/references';

/** A live real-time rules segment, as the real-time evaluator receives it. */
export interface RealtimeSegment {
  id: string;
  key: string;
  definition: RulesDefinition;
}

/**
 * For each segment, the positions (in `segments`) of the segments of the same list its `segment`
 * conditions refer to, by key or by id. References outside the list are not edges here: they are
 * fixed memberships (batch segments) for the evaluator.
 * @throws {Error} when two segments share an id.
 */
export function realtimeReferenceEdges(segments: readonly RealtimeSegment[]): number[][] {
  const byName = new Map<string, number[]>();
  const ids = new Set<string>();
  segments.forEach((segment, index) => {
    if (ids.has(segment.id)) throw new Error(`real-time segment id "${segment.id}" appears twice`);
    ids.add(segment.id);
    for (const name of new Set([segment.id, segment.key])) byName.set(name, [...(byName.get(name) ?? []), index]);
  });
  return segments.map((segment) => [...new Set(segmentReferences(segment.definition).flatMap((name) => byName.get(name) ?? []))]);
}

/**
 * The segments ordered so that every segment comes after the real-time segments it references
 * (Kahn's algorithm, deterministic: independent segments keep the input order), so one pass can evaluate each with its
 * references' verdicts already known.
 * @throws {Error} naming the cycle when the references loop (the save gate refuses cycles, so this is a bug upstream).
 * @example orderByReferences([b, a]) // [a, b] when b's definition has { type: 'segment', segment: 'a' }
 */
export function orderByReferences<T extends RealtimeSegment>(segments: readonly T[]): T[] {
  const edges = realtimeReferenceEdges(segments);
  const waitingOn = edges.map((references) => references.length);
  const referencedBy = segments.map((): number[] => []);
  edges.forEach((references, index) => references.forEach((reference) => referencedBy[reference].push(index)));
  const ready = waitingOn.flatMap((count, index) => (count === 0 ? [index] : []));
  const ordered: T[] = [];
  for (let next = 0; next < ready.length; next++) {
    const index = ready[next];
    ordered.push(segments[index]);
    for (const dependant of referencedBy[index]) if (--waitingOn[dependant] === 0) ready.push(dependant);
  }
  if (ordered.length < segments.length)
    throw new Error(`real-time segments reference each other in a cycle: ${describeCycle(segments, edges)}`);
  return ordered;
}

function describeCycle(segments: readonly RealtimeSegment[], edges: number[][]): string {
  const graph = new Map(segments.map((segment, index) => [segment.key, edges[index].map((reference) => segments[reference].key)]));
  return (findSegmentReferenceCycle(graph) ?? []).join(' → ');
}
