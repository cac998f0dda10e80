export * from './contract/connector-errors';
