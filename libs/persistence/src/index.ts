export * from './entities';
export * from './data-source';
export { ALL_MIGRATIONS } from './migrations';
export { SQL_TRAITS_READER_ROLE } from './migrations/1796700200000-sql-traits';
export * from './testing/create-test-database';
