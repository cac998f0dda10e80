import { INestApplication } from '@nestjs/common';
import { AppConfig, loadConfig } from '@audiencekit/server-core';
import { createApiApp } from '../src/app/create-api-app';

export interface RunningApi {
  app: INestApplication;
  baseUrl: string;
  close(): Promise<void>;
}

/** Boots the real API app in-process on a free port against `databaseUrl`. */
export async function startTestApi(databaseUrl: string, overrides: Partial<Record<keyof AppConfig, string>> = {}): Promise<RunningApi> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'silent', ...overrides });
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const close = async () => {
    // Tests leave fetch() response bodies unread, which keeps their sockets busy; without this,
    // close waits ~5 s for them to time out.
    (app.getHttpServer() as import('node:http').Server).closeAllConnections();
    await app.close();
  };
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, close };
}
