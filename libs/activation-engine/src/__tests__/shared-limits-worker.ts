/**
 * One worker process of sync-shared-limits.spec.ts ("three real worker processes"): its own Node.js
 * process, connection pool and gates, running the given sync runs through the engine with the
 * deployment-wide limiter, as apps/worker would. A run whose destination another process holds is
 * tried again (the job queue's retry). Prints `ready` once connected, starts on SIGUSR2 (so the
 * three start together whatever their start-up took), and prints one JSON line with its runs'
 * statuses. It exits by itself after `WORKER_DEADLINE_MS`, so a test killed mid-way leaks nothing.
 *
 *   DATABASE_URL=… VENDOR_URL=… RUN_IDS=id,id node -r @swc-node/register shared-limits-worker.ts
 */
import { createDataSource } from '@audiencekit/persistence';
import { DestinationGates } from '../delivery/destination-gates';
import { resolveSyncEngineOptions } from '../sync-engine.options';
import { SyncException } from '../sync.exception';
import { LIMIT_TEST_OPTIONS, vendor } from './quota-vendor.fixture';
import { buildEngine } from './sync-fixtures';

const WORKER_DEADLINE_MS = 90_000;

export interface WorkerReport {
  pid: number;
  statuses: Record<string, string>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  setTimeout(() => {
    process.stderr.write(`shared-limits-worker ${process.pid}: no result after ${WORKER_DEADLINE_MS} ms, exiting\n`);
    process.exit(3);
  }, WORKER_DEADLINE_MS).unref();
  const runIds = required('RUN_IDS').split(',');
  const start = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  const pool = await createDataSource({ url: required('DATABASE_URL'), poolSize: 3, applicationName: 'shared-limits-worker' }).initialize();
  try {
    const gates = new DestinationGates(pool, resolveSyncEngineOptions(LIMIT_TEST_OPTIONS));
    const engine = buildEngine(
      pool,
      [vendor],
      LIMIT_TEST_OPTIONS,
      { AK_CONNECTOR_BASE_URLS: { [vendor.slug]: required('VENDOR_URL') } },
      gates,
    );
    process.stdout.write('ready\n');
    await start;
    const statuses: Record<string, string> = {};
    const queue = [...runIds];
    for (let runId = queue.shift(); runId; runId = queue.shift()) {
      try {
        statuses[runId] = (await engine.service.execute(runId)).status;
      } catch (error) {
        if (!(error instanceof SyncException && error.code === 'destination_busy')) throw error;
        queue.push(runId);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const report: WorkerReport = { pid: process.pid, statuses };
    process.stdout.write(`report ${JSON.stringify(report)}\n`);
  } finally {
    await pool.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
