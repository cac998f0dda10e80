export * from './fnv1a';
export * from './holdout';
