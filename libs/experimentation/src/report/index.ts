export * from './lift-report';
export * from './lift-report.types';
