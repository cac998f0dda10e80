export * from './fake-vendor-server';
export * from './harness';
