export * from './journey-definition';
export * from './validate-journey-definition';
export * from './journey-machine';
