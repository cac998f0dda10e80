export * from './value-matrix';
