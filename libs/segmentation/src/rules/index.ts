export * from './definition.schema';
export { jsonNestingProblem, MAX_JSON_NESTING } from './json-nesting';
export { compileSegmentSql, CompiledSql } from './compile-sql';
export { evaluateSegment, ProfileSnapshot } from './evaluate';
export { findSegmentReferenceCycle, segmentReferences } from './references';
export { EXAMPLE_SEGMENTS } from './examples';
export { SEGMENT_LIFECYCLE_EVENTS } from './semantics';
export { ISO_TIMESTAMP_PATTERN, parseIsoTimestamp } from './values';
export { parseWindow, resolveWindow, ResolvedWindow } from './window';
