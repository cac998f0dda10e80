import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** Every environment variable the API and the worker read, with defaults. */
export const configSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required (npm start provides an embedded Postgres when it is not set)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  /** How often each worker looks for segments whose cadence is due. */
  SCHEDULER_TICK_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
});

export type AppConfig = z.infer<typeof configSchema>;
