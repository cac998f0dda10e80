export * from './rfm-tiers';
export * from './rfm.schema';
export { compileRfmScoresSql, purchaseAggregatesSql, rfmScoresSql, SqlParameters, windowSql } from './compile-rfm-sql';
