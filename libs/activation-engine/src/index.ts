export * from './connectors.token';
export * from './activation.module';
export * from './sync-engine.options';
export * from './sync.exception';
export * from './activation.exception';
export * from './sync-requests.service';
export * from './run-control/sync-run-control.service';
export type { SyncOutcome } from './sync-execution';
export {
  connectorContext,
  connectorRuntime,
  openSecrets,
  allowedHostsOf,
  baseUrlOf,
  secretValues,
  redactText,
  redactDeep,
  REDACT_MIN_CHARS,
} from './connector-runtime';
export type { ConnectorRuntime, ConnectorRuntimeConfig } from './connector-runtime';
export * from './sync-queues';
export * from './sync-run.view';
export * from './sync.service';
export * from './sync-runner';
export * from './sync-scheduler.service';
export * from './sync-queue-worker.service';
export { DestinationGates } from './delivery/destination-gates';
export { SharedRateLimiter, spacingMs } from './limits/shared-rate-limiter';
export type { LimiterKey } from './limits/shared-rate-limiter';
export type { SyncConfig } from './sync-setup';
export * from './guard/mass-send-guard';
export { OnChangeFlusher } from './on-change/on-change-flusher';
export type { FlushedRun } from './on-change/on-change-flusher';
export { ON_CHANGE_SCHEDULE, ON_CHANGE_TRIGGER, pendingChangeCount } from './on-change/on-change.repository';
export { reserveSends, cappedSends, releaseSends, pruneSendLedger } from './frequency/frequency-cap.repository';
export { pruneSendLedgerOnce } from './frequency/send-ledger-retention';
export type { SendLedgerRetentionOptions } from './frequency/send-ledger-retention';
export type { LedgerSend, CappedSend } from './frequency/frequency-cap.repository';
export { DirectDelivery } from './direct/direct-delivery';
export type { DirectAction, DirectTarget, DirectOutcome, DirectDeliveryRequest } from './direct/direct-delivery';
export { globalHoldout } from './data/sync-run.repository';
export { VendorRequestChecks, checkBackoffMs, firstCheckDelayMs } from './vendor-requests/vendor-request-checks.service';
export type { VendorRequestConfig, VendorRequestPassResult } from './vendor-requests/vendor-request-checks.service';
