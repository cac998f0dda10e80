import { existsSync } from 'node:fs';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { ErrorBodyFilter } from '../errors/error-body.filter';
import { SUPPRESSIONS_IMPORT_PATH } from '../privacy/suppressions.controller';
import { SEGMENT_LIST_UPLOAD_PATH } from '../segments/segment-lists.controller';
import {
  APP_CONFIG,
  ApiKeyService,
  AppConfig,
  IdParamsPipe,
  jsonBodiesOnly,
  keyBeforeBody,
  Metrics,
  migrateDatabase,
} from '@audiencekit/server-core';
import { ApiModule } from './api.module';
import { TRACKING_PATHS, trackingBodyReader } from '../tracking/tracking-body.middleware';
import { QUIZ_ANSWERS_PATH } from '../quizzes/quizzes-http.module';
import { trackingRequestTimer } from '../metrics/tracking-metrics.middleware';
import { exceptVendorEvents, VENDOR_EVENTS_PATHS, vendorEventsBodyReader } from '../vendor-events/vendor-events-body.middleware';

/**
 * Builds the API application (used by main.ts and by the tests, so both boot the same thing).
 * Migrations run first when MIGRATE_ON_START is on.
 */
export async function createApiApp(config: AppConfig): Promise<NestExpressApplication> {
  if (config.MIGRATE_ON_START) await migrateDatabase(config.DATABASE_URL, 'audiencekit-api-migrate');
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  return configureApiApp(app);
}

/**
 * Logger, body readers, error filter and docs assets of the API; shared with tests that build the
 * app from a testing module (to override a provider such as CONNECTORS).
 */
export function configureApiApp(app: NestExpressApplication): NestExpressApplication {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(securityHeaders());
  // Quiz answers are identify calls in all but their URL: they take the tracking routes' timer, body reader and limits.
  const trackingLikePaths = [...TRACKING_PATHS, QUIZ_ANSWERS_PATH];
  app.use(trackingLikePaths, trackingRequestTimer(app.get(Metrics))); // first, so the duration includes reading the body
  // Before any body reader: no key the guard would accept, no body read (401/403; 503 if the lookup fails); a body slower than the limit is a 408.
  // Vendor callbacks carry no key (their signature is checked by the route), so the gate skips them.
  app.use(
    exceptVendorEvents(keyBeforeBody(app.get(ApiKeyService), app.get<AppConfig>(APP_CONFIG).AK_BODY_READ_TIMEOUT_MS, trackingLikePaths)),
  );
  // admin routes: JSON bodies only (415), before the parsers Nest adds (urlencoded); the suppression import streams a CSV
  app.use(jsonBodiesOnly([...trackingLikePaths, SUPPRESSIONS_IMPORT_PATH, SEGMENT_LIST_UPLOAD_PATH, VENDOR_EVENTS_PATHS]));
  app.use(vendorEventsBodyReader(app.get<AppConfig>(APP_CONFIG).AK_BODY_READ_TIMEOUT_MS)); // raw bytes for the vendors' signatures (SendGrid JSON, Twilio forms)
  app.use(trackingLikePaths, trackingBodyReader()); // before the JSON parser: gzip, 32 KB / 500 KB limits, 400 with the reason
  // Admin bodies up to 2 MB reach validation, so an oversized segment definition is answered with
  // a 400 naming the field rather than the parser's anonymous 413. Bigger bodies still get 413.
  app.useBodyParser('json', { limit: '2mb' });
  app.useGlobalFilters(new ErrorBodyFilter());
  app.useGlobalPipes(new IdParamsPipe()); // a non-UUID :id / :runId is a 400 naming it, not a 500 from the uuid cast
  app.useStaticAssets(getAbsoluteFSPath(), { prefix: '/docs/assets/', index: false });
  serveConsole(app);
  return app;
}

/**
 * Security headers on every answer (console, /docs, JSON): helmet's defaults (nosniff, HSTS, …)
 * with a CSP that allows only this origin's scripts — the console (Vite build) and Swagger UI
 * (swagger-ui-dist, started by /docs/swagger-init.js) load nothing else — no framing at all,
 * no Referer, and no upgrade-insecure-requests (the API is often reached over plain HTTP on a
 * private network, where upgrading would break the console's own requests).
 */
function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': null } },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** The built admin console (apps/console/dist, `vite build apps/console`) at /console/, when it has been built. */
export const CONSOLE_DIST = path.resolve(__dirname, '../../../console/dist');

function serveConsole(app: NestExpressApplication): void {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) return;
  // Static files only: the console calls the same admin API routes as any client, with its key.
  app.useStaticAssets(CONSOLE_DIST, { prefix: '/console/', index: 'index.html' });
}
