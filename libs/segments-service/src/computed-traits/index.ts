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
