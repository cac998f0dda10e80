export * from './rules';
export * from './clustering';
export * from './propensity';
export * from './rfm';
export * from './value-matrix';
export * from './models';
export * from './sql';
export { compileSegmentSql } from './compile-segment-sql';
export * from './realtime';
