export * from './fake-vendor-server';
export * from './harness';
export * from './contract-suite';
export * from './openapi-request-validator';
