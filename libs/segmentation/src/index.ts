export * from './rules';
export * from './clustering';
export * from './propensity';
