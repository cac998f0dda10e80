import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { CONNECTORS } from '@audiencekit/activation-engine';
import type { AnyConnectorDefinition } from '@audiencekit/connector-sdk';
import { AppConfig, loadConfig, migrateDatabase, SecretBox } from '@audiencekit/server-core';
import { ApiModule } from '../../app/api.module';
import { configureApiApp } from '../../app/create-api-app';
import type { RunningApi } from '../../../test/api-test-app';
import { TEST_CONNECTORS } from './test-connectors';

export const TEST_SECRETS_KEYS = SecretBox.generateKey('test1');

/**
 * The real API app with the CONNECTORS token overridden by test connector definitions (the only
 * difference from `startTestApi`): same modules, guards, filters and database.
 */
export async function startActivationsTestApi(
  databaseUrl: string,
  options: { connectors?: AnyConnectorDefinition[]; env?: Partial<Record<keyof AppConfig, string>>; port?: number } = {},
): Promise<RunningApi> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AK_SECRETS_KEYS: TEST_SECRETS_KEYS,
    ...options.env,
  });
  if (config.MIGRATE_ON_START) await migrateDatabase(config.DATABASE_URL, 'audiencekit-api-migrate');
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(config)] })
    .overrideProvider(CONNECTORS)
    .useValue(options.connectors ?? TEST_CONNECTORS)
    .compile();
  const app = configureApiApp(moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true }));
  await app.listen(options.port ?? 0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const close = async () => {
    (app.getHttpServer() as import('node:http').Server).closeAllConnections();
    await app.close();
  };
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, close };
}

/** fetch with a bearer key and a JSON body; answers status and parsed body. */
export async function callApi(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
