export * from './load-connectors';
export { REGISTERED_CONNECTORS } from './registered-connectors';
