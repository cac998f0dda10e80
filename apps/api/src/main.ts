import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { ConfigException, drainHttpServer, exitOnSignal, loadConfig } from '@audiencekit/server-core';
import { createApiApp } from './app/create-api-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  await app.listen(config.PORT, config.HOST);
  // Drain first: stop accepting at once; in-flight requests (a /v1/batch being read or committed) finish.
  exitOnSignal(app, config.SHUTDOWN_GRACE_MS, (message) => app.get(Logger).log(message), () => drainHttpServer(app.getHttpServer()));
  const url = await app.getUrl();
  // One plain line on stdout that the launcher and humans can both read.
  process.stdout.write(`audiencekit-api listening on ${url.replace('[::1]', 'localhost')}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigException ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`audiencekit-api failed to start: ${message}\n`);
  process.exit(1);
});
