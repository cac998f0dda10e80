export * from './load-connectors';
export { REGISTERED_CONNECTORS } from './registered-connectors';
export { ConnectorPackageError, loadConnectorPackages, parsePackageList } from './connector-packages';
export type { LoadedConnectorPackage } from './connector-packages';
