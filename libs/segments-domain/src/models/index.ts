export * from './model-definitions.schema';
export { compileFeatureSql, FeatureSql } from './feature-sql';
