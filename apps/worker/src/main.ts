import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { ConfigException, exitOnSignal, loadConfig } from '@audiencekit/server-core';
import { createWorkerApp } from './app/create-worker-app';
import { WorkerHealthServer } from './health/worker-health.server';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createWorkerApp(config);
  await app.init();
  exitOnSignal(app, config.SHUTDOWN_GRACE_MS, (message) => app.get(Logger).log(message));
  app.get(Logger).log({ pid: process.pid }, 'audiencekit-worker up');
  process.stdout.write(`audiencekit-worker up (pid ${process.pid}); health on ${app.get(WorkerHealthServer).url()}\n`);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigException ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`audiencekit-worker failed to start: ${message}\n`);
  process.exit(1);
});
