import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from 'nestjs-pino';
import { AppConfig, ConfigException, drainHttpServer, exitOnSignal, loadConfig } from '@audiencekit/server-core';
import { createApiApp } from './app/create-api-app';
import { apiProcessCount, ListeningMessage, superviseApiProcesses } from './api-processes';

async function main(): Promise<void> {
  const config = loadConfig();
  const processes = apiProcessCount(config.API_PROCESSES);
  if (processes > 1 && cluster.isPrimary) {
    await superviseApiProcesses(config, processes, (line) => process.stderr.write(`audiencekit-api: ${line}\n`));
    return;
  }
  await serveApi(config);
}

/** One API process: the whole application on one event loop (alone, or one of API_PROCESSES). */
async function serveApi(config: AppConfig): Promise<void> {
  const app = await createApiApp(config);
  await app.listen(config.PORT, config.HOST);
  const underPrimary = cluster.isWorker;
  // Drain first: stop accepting at once; in-flight requests (a /v1/batch being read or committed) finish.
  exitOnSignal(
    app,
    config.SHUTDOWN_GRACE_MS,
    (message) => app.get(Logger).log(message),
    () => drainHttpServer(app.getHttpServer()),
    underPrimary ? ['SIGTERM'] : undefined,
  );
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  if (underPrimary) {
    // The primary prints the line once all processes listen; if it dies, stop as on SIGTERM.
    process.send?.({ type: 'audiencekit:listening', url } satisfies ListeningMessage);
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    process.on('SIGINT', () => undefined); // a terminal's Ctrl-C reaches the whole group: the primary answers it
    return;
  }
  // One plain line on stdout that the launcher and humans can both read.
  process.stdout.write(`audiencekit-api listening on ${url}\n`);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigException ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`audiencekit-api failed to start: ${message}\n`);
  process.exit(1);
});
