export {
  deleteSourceValues,
  keyOwners,
  profileValues,
  replaceSourceValues,
  valuesOfKey,
  writeProfileValues,
  type TraitValueRow,
  type TraitValueSource,
  type TraitValueWrite,
} from './trait-values.repository';
export * from './computed-trait-input.schema';
export * from './computed-traits.exception';
export {
  ComputedTraitsService,
  type ComputedTraitPreview,
  type ComputedTraitRunOutcome,
  type ComputedTraitView,
} from './computed-traits.service';
// Which keys exist as computed traits, SQL trait columns or stored values (activation-admin refuses unknown ones at save).
export { knownTraitKeys } from './computed-traits.repository';
// The advisory lock of the key namespace computed traits share with SQL traits (libs/sql-traits takes it too).
export { lockKeyNamespace } from './computed-traits.repository';
