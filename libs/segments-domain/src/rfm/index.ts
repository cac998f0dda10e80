export * from './rfm-tiers';
export * from './rfm.schema';
export { compileRfmScoresSql, compileValueSegmentSql, purchaseAggregatesSql, rfmScoresSql } from './compile-rfm-sql';
