import { assertTraitReferencesKnown, traitRealtimeProblems } from './computed-traits/segment-trait-references';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  compileSegmentSql,
  findSegmentReferenceCycle,
  isFittedDefinition,
  ListSource,
  parseNewSegmentDefinition,
  parseSegmentDefinition,
  populationSegment,
  realtimeProblems,
  SegmentDefinition,
  segmentReferencePaths,
  SegmentDefinitionException,
  segmentReferences,
} from '@audiencekit/segments-domain';
import { REALTIME_OPTIONS, RealtimeOptions } from './realtime/realtime-options';
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
  constructor(@Optional() @Inject(REALTIME_OPTIONS) private readonly realtime: RealtimeOptions = {}) {}

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

  /** `list`: the segment and version whose uploaded identifiers a list definition reads (refresh only). */
  compile(definition: unknown, now: Date, list?: ListSource): CompiledQuery {
    const parsed = parseSegmentDefinition(definition);
    if (parsed.type === 'list' && !list) {
      throw new SegmentsException(
        'list_needs_upload',
        'a list segment has no members before a list is uploaded to it; create it, then upload',
        [{ path: 'definition.type', message: 'cannot be previewed: its members are the identifiers uploaded to the segment' }],
      );
    }
    if (isFittedDefinition(parsed) || parsed.type === 'clv') {
      throw new SegmentsException(
        'needs_fitted_model',
        `a ${parsed.type} segment has no members before its model is fitted; create the segment to fit it`,
        [{ path: 'definition.type', message: 'cannot be previewed before it is fitted' }],
      );
    }
    return compileSegmentSql(parsed, { now, list });
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
        graph.set(row.segment_id, referencesOf(parseSegmentDefinition(row.definition)).map(resolve));
    }
    const liveIds = new Set(rows.map((row) => row.segment_id));
    const unknown = referencesOf(definition).filter((reference) => !liveIds.has(resolve(reference)));
    if (unknown.length) {
      throw new SegmentsException('unknown_segment_reference', `definition refers to segments that do not exist: ${unknown.join(', ')}`, [
        { path: 'definition', message: `refers to unknown segment(s): ${unknown.join(', ')}` },
      ]);
    }
    graph.set(segmentId, referencesOf(definition).map(resolve));
    const keyById = new Map(rows.map((row) => [row.segment_id, row.key]));
    await assertTraitReferencesKnown(manager, definition);
    const cycle = findSegmentReferenceCycle(graph);
    if (cycle) {
      const named = startAt(cycle, segmentId).map((id) => keyById.get(id) ?? id);
      throw new SegmentsException('segment_reference_cycle', `segment references form a cycle: ${named.join(' → ')}`, [
        { path: 'definition', message: `references form a cycle: ${named.join(' → ')}` },
      ]);
    }
  }

  /**
   * Refuses a real-time cadence for a definition that cannot be evaluated one profile at a time
   * (400 `not_realtime_capable`, each part named): population-relative types, windows beyond the
   * history real time reads, and references to segments that are not real time themselves (their
   * membership would only move at their refresh). Call after `assertNoCycle` (same lock).
   */
  async assertRealtimeCapable(manager: EntityManager, definition: SegmentDefinition, now: Date = new Date()): Promise<void> {
    await lockReferenceGraph(manager);
    const problems = realtimeProblems(definition, { historyDays: this.realtime.historyDays, now });
    const references = segmentReferencePaths(definition);
    if (references.length > 0) {
      const rows = await liveCurrentDefinitions(manager);
      for (const { path, segment } of references) {
        const target = rows.find((row) => row.segment_id === segment || row.key === segment);
        if (target && target.refresh_cadence !== 'realtime') {
          problems.push({
            path,
            message: `refers to segment "${target.key}", which is not real time (cadence "${target.refresh_cadence}"): its membership moves only when it is refreshed; make it real time first`,
          });
        }
      }
    }
    problems.push(...(await traitRealtimeProblems(manager, definition)));
    refuseRealtime(problems);
  }

  /**
   * The part of `assertRealtimeCapable` that needs no database: a population-wide type (RFM, intent ×
   * value, cluster, propensity). Checked before a version is prepared, so such a definition is
   * refused for what it is, not for a purchase window or a fit it would never use.
   */
  assertRealtimeType(definition: SegmentDefinition): void {
    refuseRealtime(realtimeProblems(definition));
  }

  /** Refuses to take a segment out of real time while live real-time segments refer to it. */
  async assertNotReferencedByRealtime(manager: EntityManager, segment: { id: string; key: string }): Promise<void> {
    await lockReferenceGraph(manager);
    const referrers = (await liveCurrentDefinitions(manager)).filter(
      (row) =>
        row.segment_id !== segment.id &&
        row.refresh_cadence === 'realtime' &&
        row.definition &&
        segmentReferences(parseSegmentDefinition(row.definition)).some(
          (reference) => reference === segment.id || reference === segment.key,
        ),
    );
    if (referrers.length === 0) return;
    const keys = referrers.map((row) => row.key).join(', ');
    throw new SegmentsException(
      'segment_referenced_by_realtime',
      `segment "${segment.key}" must stay real time: real-time segment(s) ${keys} refer to it`,
      [{ path: 'refreshCadence', message: `must stay "realtime" while real-time segment(s) ${keys} refer to this segment` }],
    );
  }
}

/** The segments a definition reads: its `segment` conditions / intent segment, and a model's population segment. */
function referencesOf(definition: SegmentDefinition): string[] {
  const population = isFittedDefinition(definition) ? populationSegment(definition) : undefined;
  return population === undefined ? segmentReferences(definition) : [...new Set([...segmentReferences(definition), population])];
}

/** A cycle `[a, b, c, a]` told from `start` when it passes through it: `[b, c, a, b]`. */
function startAt(cycle: string[], start: string): string[] {
  const ring = cycle.slice(0, -1);
  const offset = ring.indexOf(start);
  if (offset < 0) return cycle;
  const rotated = [...ring.slice(offset), ...ring.slice(0, offset)];
  return [...rotated, rotated[0]];
}

function refuseRealtime(problems: { path: string; message: string }[]): void {
  if (problems.length === 0) return;
  throw new SegmentsException(
    'not_realtime_capable',
    `this definition cannot be real time: ${problems.map((problem) => `${problem.path} ${problem.message}`).join('; ')}`,
    problems,
  );
}
