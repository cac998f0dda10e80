export * from './model-definitions.schema';
