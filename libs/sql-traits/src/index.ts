export * from './sql-traits.exception';
