/**
 * A journey worker process for `bench/journeys.bench.ts`: libs/journey-engine's `JourneyEngine` over
 * libs/activation-engine's `DirectDelivery` (the production classes, built without Nest as the
 * engine's own worker spec builds them) with the bench's send connector, running `runPass(now)` in
 * a loop: one pass, then `JOURNEY_PASS_MS` of rest (a pass never overlaps the next, like the
 * worker's periodic passes). Only journeys run here, so its CPU and RSS are the journey engine's.
 * Env: DATABASE_URL, AK_SECRETS_KEYS, AK_CONNECTOR_BASE_URLS (bench-send=http://127.0.0.1:<port>),
 * JOURNEY_PASS_MS (default 250), DB_POOL_SIZE (default 10).
 */
import 'reflect-metadata';
import { DestinationGates, DirectDelivery, resolveSyncEngineOptions } from '@audiencekit/activation-engine';
import { JourneyEngine } from '@audiencekit/journey-engine';
import { createDataSource } from '@audiencekit/persistence';
import { loadConfig } from '@audiencekit/server-core';
import { benchSendConnector } from './bench-send-connector';

async function main(): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOG_LEVEL: 'warn',
    AK_SECRETS_KEYS: process.env.AK_SECRETS_KEYS,
    AK_CONNECTOR_BASE_URLS: process.env.AK_CONNECTOR_BASE_URLS,
  });
  const passMs = Number(process.env.JOURNEY_PASS_MS ?? 250);
  const dataSource = await createDataSource({
    url: config.DATABASE_URL,
    poolSize: Number(process.env.DB_POOL_SIZE ?? 10),
    applicationName: 'journey-worker',
  }).initialize();
  const delivery = new DirectDelivery(dataSource, [benchSendConnector], config, new DestinationGates(), resolveSyncEngineOptions({}));
  const engine = new JourneyEngine(dataSource, delivery);
  let stopping = false;
  let passes = 0;
  const stop = (): void => {
    stopping = true;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('journey worker up\n');
  while (!stopping) {
    await engine.runPass(new Date());
    passes += 1;
    await new Promise((resolve) => setTimeout(resolve, passMs));
  }
  await dataSource.destroy();
  process.stdout.write(`journey worker stopped after ${passes} passes\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`journey worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
