export { assertNever } from './assert-never';
export { MANUAL_CADENCE, REALTIME_CADENCE, REALTIME_RECONCILIATION_CRON, cadenceProblem, latestDueFireTime } from './cadence';
export { CodedException, errorMessage } from './coded-exception';
export type { ErrorDetail } from './coded-exception';
export { UUID_PATTERN, isUuid } from './ids';
export { mulberry32 } from './random';
export type { Random } from './random';
