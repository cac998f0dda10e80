import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  compileSegmentSql,
  findSegmentReferenceCycle,
  parseSegmentDefinition,
  SegmentDefinition,
  SegmentDefinitionException,
  segmentReferences,
} from '@audiencekit/segmentation';
import { ApiException } from '@audiencekit/server-core';

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
  parse(raw: unknown): SegmentDefinition & Record<string, unknown> {
    try {
      return parseSegmentDefinition(raw) as SegmentDefinition & Record<string, unknown>;
    } catch (error) {
      if (error instanceof SegmentDefinitionException) {
        const details = error.issues.map((issue) => ({ path: issue.path ? `definition.${issue.path}` : 'definition', message: issue.message }));
        throw new ApiException(400, 'invalid_definition', `invalid segment definition: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
      }
      throw error;
    }
  }

  compile(definition: unknown, now: Date): CompiledQuery {
    return compileSegmentSql(parseSegmentDefinition(definition), { now });
  }

  /** Refuses a definition whose segment references would close a cycle (400 naming the cycle). */
  async assertNoCycle(manager: EntityManager, segmentId: string, definition: SegmentDefinition): Promise<void> {
    const rows: { segment_id: string; key: string; definition: unknown }[] = await manager.query(
      `SELECT s.id AS segment_id, s.key, v.definition FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL AND s.id <> $1`,
      [segmentId],
    );
    const idByKey = new Map(rows.map((row) => [row.key, row.segment_id]));
    const resolve = (reference: string) => idByKey.get(reference) ?? reference;
    const graph = new Map<string, string[]>();
    for (const row of rows) graph.set(row.segment_id, segmentReferences(parseSegmentDefinition(row.definition)).map(resolve));
    graph.set(segmentId, segmentReferences(definition).map(resolve));
    const cycle = findSegmentReferenceCycle(graph);
    if (cycle) {
      throw new ApiException(400, 'segment_reference_cycle', `segment references form a cycle: ${cycle.join(' → ')}`, [
        { path: 'definition', message: `references form a cycle: ${cycle.join(' → ')}` },
      ]);
    }
  }
}
