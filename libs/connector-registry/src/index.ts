export * from './load-connectors';
export { REGISTERED_CONNECTORS } from './registered-connectors';
export { ConnectorPackageError, loadConnectorPackages, parsePackageList } from './connector-packages';
export type { LoadedConnectorPackage } from './connector-packages';
export { auditConnectorPackage } from './audit-package';
export type { ConnectorPackageAudit } from './audit-package';
