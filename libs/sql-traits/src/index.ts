export * from './sql-traits.exception';
export * from './sql-traits.module';
export * from './sql-traits.service';
export * from './sql-trait-input.schema';
export { SQL_TRAIT_KEY_PATTERN } from './sql-trait-result';
export type { SqlTraitKeyKind } from './sql-traits.repository';
export type { ResultColumn } from './sql-trait-executor.repository';
