export { changeInstants } from './change-instants';
export { DEFAULT_MAX_CANDIDATES, evaluateProfileRealtime } from './evaluate-realtime';
export type { RealtimeProfile, RealtimeVerdict } from './evaluate-realtime';
export { orderByReferences, realtimeReferenceEdges } from './order-by-references';
export type { RealtimeSegment } from './order-by-references';
export { realtimeEventNeeds } from './event-needs';
export type { RealtimeEventNeeds } from './event-needs';
export { realtimeProblems, segmentReferencePaths } from './realtime-problems';
export type { RealtimeLimits, RealtimeProblem } from './realtime-problems';
