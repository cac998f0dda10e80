export * from './context-enricher';
export * from './device-type';
export * from './geo-lookup';
export * from './ip-address';
export * from './ip-retention';
