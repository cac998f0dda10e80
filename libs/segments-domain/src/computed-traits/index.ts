export * from './computed-trait-definition.schema';
export { AVG_DECIMALS, compareEvents, computeTraitValue, nextTraitChange, type TraitEvent } from './compute-trait';
export {
  compileComputedTraitHistogram,
  compileComputedTraitPreview,
  compileComputedTraitRefresh,
  compileComputedTraitSelect,
  type TraitRefreshTarget,
} from './compile-trait-sql';
export { computedTraitRealtimeProblems } from './computed-trait-realtime';
