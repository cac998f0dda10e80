export * from './model-definitions.schema';
export {
  compileFeatureSql,
  FeatureKind,
  featureKinds,
  FeatureSourceException,
  FeatureSql,
  FeatureSqlContext,
  ResolvedComputedTrait,
} from './feature-sql';
export { featureIndexOfColumn, featurePreprocessing, FeatureTable, featureTableFromRows } from './feature-rows';
