import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  compileSegmentSql,
  findSegmentReferenceCycle,
  isFittedDefinition,
  parseNewSegmentDefinition,
  parseSegmentDefinition,
  SegmentDefinition,
  SegmentDefinitionException,
  segmentReferences,
} from '@audiencekit/segments-domain';
import { SegmentsException } from './segments.exception';
import { liveCurrentDefinitions, lockReferenceGraph } from './segments.repository';

export interface CompiledQuery {
  text: string;
  values: unknown[];
}

/**
 * Where definitions cross from the pure segmentation lib into the service: validation errors
 * become 400s naming the JSON path (under `definition`), and references to other segments are
 * checked for cycles against the current versions stored in the database.
 */
@Injectable()
export class SegmentDefinitionGate {
  /** A definition sent to be saved or previewed: the schema, then the cost budget (libs/segments-domain). */
  parse(raw: unknown): SegmentDefinition & Record<string, unknown> {
    try {
      return parseNewSegmentDefinition(raw) as SegmentDefinition & Record<string, unknown>;
    } catch (error) {
      if (error instanceof SegmentDefinitionException) {
        const details = error.issues.map((issue) => ({
          path: issue.path ? `definition.${issue.path}` : 'definition',
          message: issue.message,
        }));
        throw new SegmentsException(
          'invalid_definition',
          `invalid segment definition: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
          details,
        );
      }
      throw error;
    }
  }

  compile(definition: unknown, now: Date): CompiledQuery {
    const parsed = parseSegmentDefinition(definition);
    if (isFittedDefinition(parsed)) {
      throw new SegmentsException(
        'needs_fitted_model',
        `a ${parsed.type} segment has no members before its model is fitted; create the segment to fit it`,
        [{ path: 'definition.type', message: 'cannot be previewed before it is fitted' }],
      );
    }
    return compileSegmentSql(parsed, { now });
  }

  /** Refuses a definition that refers to unknown segments or whose references would close a cycle (400s). */
  async assertNoCycle(manager: EntityManager, segmentId: string, definition: SegmentDefinition): Promise<void> {
    // One reference-graph check at a time (held until the caller's transaction ends): two saves
    // racing (a → b and b → a) would otherwise each see the other's old version and both pass.
    await lockReferenceGraph(manager);
    // Every live segment's current definition, the one being saved included (its key must
    // resolve to its id, or a segment referring to itself by key would slip through).
    const rows = await liveCurrentDefinitions(manager);
    const idByKey = new Map(rows.map((row) => [row.key, row.segment_id]));
    const resolve = (reference: string) => idByKey.get(reference) ?? reference;
    const graph = new Map<string, string[]>();
    for (const row of rows) {
      if (row.segment_id !== segmentId && row.definition)
        graph.set(row.segment_id, segmentReferences(parseSegmentDefinition(row.definition)).map(resolve));
    }
    const liveIds = new Set(rows.map((row) => row.segment_id));
    const unknown = segmentReferences(definition).filter((reference) => !liveIds.has(resolve(reference)));
    if (unknown.length) {
      throw new SegmentsException('unknown_segment_reference', `definition refers to segments that do not exist: ${unknown.join(', ')}`, [
        { path: 'definition', message: `refers to unknown segment(s): ${unknown.join(', ')}` },
      ]);
    }
    graph.set(segmentId, segmentReferences(definition).map(resolve));
    const keyById = new Map(rows.map((row) => [row.segment_id, row.key]));
    const cycle = findSegmentReferenceCycle(graph);
    if (cycle) {
      const named = startAt(cycle, segmentId).map((id) => keyById.get(id) ?? id);
      throw new SegmentsException('segment_reference_cycle', `segment references form a cycle: ${named.join(' → ')}`, [
        { path: 'definition', message: `references form a cycle: ${named.join(' → ')}` },
      ]);
    }
  }
}

/** A cycle `[a, b, c, a]` told from `start` when it passes through it: `[b, c, a, b]`. */
function startAt(cycle: string[], start: string): string[] {
  const ring = cycle.slice(0, -1);
  const offset = ring.indexOf(start);
  if (offset < 0) return cycle;
  const rotated = [...ring.slice(offset), ...ring.slice(0, offset)];
  return [...rotated, rotated[0]];
}
