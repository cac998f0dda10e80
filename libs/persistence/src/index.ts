export * from './entities';
export * from './data-source';
export { ALL_MIGRATIONS } from './migrations';
export * from './testing/create-test-database';
