export * from './experimentation.exception';
export * from './holdout';
export * from './report';
export * from './stats';
