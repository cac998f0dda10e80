export * from './list-definition';
