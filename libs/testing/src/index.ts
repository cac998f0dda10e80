// The shared test kit for apps, features and plugins' integration tests. Postgres helpers live in
// libs/persistence (its own tests need them, and persistence must not depend on this project).
export { createTestDatabase, onAdmin, adminDatabaseUrl, withDatabase } from '@audiencekit/persistence';
export type { TestDatabase } from '@audiencekit/persistence';
export { startTcpProxy } from './tcp-proxy';
export type { TcpProxy } from './tcp-proxy';
export { sampleValue } from './prometheus-text';
export { waitUntil } from './wait-until';
export { lcgAnsiC, mulberry32 } from './random';
export { spawnTs, WORKSPACE_ROOT } from './spawn-ts';
export type { SpawnedProcess, SpawnTsOptions } from './spawn-ts';
export { captureSql, expectGolden, sqlSections } from './golden';
export {
  CONTEXT_PLACES,
  NEAR_POINTS,
  randomContext,
  randomContextFilter,
  randomLocationCondition,
  randomMessageType,
  randomNear,
  withContext,
} from './random-context';
export type { RandomDraw, RandomLocationCondition } from './random-context';
