export * from './identifier';
export * from './normalize-email';
export * from './normalize-phone';
export * from './extract-identifiers';
export * from './merge-caps';
export * from './plan-stitching';
export * from './merge-traits';
