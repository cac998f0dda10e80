// Demo data for `npm start`, loaded once into an empty database (idempotent: a second start sees
// the admin key and does nothing). Prints the demo admin key the first time only: it is stored
// hashed. Everything after the key goes through the product's own doors: the CLI importer for the
// orders, the tracking API for events and the admin API (AK_API_URL) for segments and the demo
// activation, so the demo exercises what users use. Two phases, both run by tools/launch/start.mjs:
//   - data (before the worker starts): key, shifted orders, browsing and cart events, segments;
//   - activation (AK_DEMO_PHASE=activation, once the worker is up): see demo-activation.ts, then
//     the richer segment language (demo-language.ts), which runs even when the activation failed,
//     then priority list, exclusion, frequency cap and quiz (demo-orchestration.ts), then the
//     seed's four plays through POST /plays and the win-back journey run by the worker (demo-plays.ts).
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, createDataSource } from '@audiencekit/persistence';
import { generateApiKey } from '@audiencekit/server-core';
import { adminApi, Call, createSegments, track } from './demo-api';
import { runDemoActivation } from './demo-activation';
import { browsingEvents, readOrderLines } from './demo-events';
import { runLanguageDemo } from './demo-language';
import { runOrchestrationDemo } from './demo-orchestration';
import { runPlaysDemo } from './demo-plays';
import { runTextSignalsDemo } from './demo-text-signals';
import { DEMO_SEGMENTS, REALTIME_DEMO_SEGMENT } from './demo-segments';
import { shiftOrders } from './shift-orders';

const ROOT = path.resolve(__dirname, '../..');
/** 30,000 real transactions (UCI Online Retail, 2010–2011); see data/README.md. */
const DEMO_ORDERS = path.join(ROOT, 'data/online_retail_sample.csv');

const say = (line: string): void => {
  process.stdout.write(`[audiencekit] ${line}\n`);
};

async function seedAdminKey(dataSource: DataSource): Promise<string | undefined> {
  const keys = dataSource.getRepository(ApiKeyEntity);
  if ((await keys.count()) > 0) return undefined;
  const { secret, prefix, hash } = generateApiKey('admin');
  await keys.save({ name: 'demo admin (created by npm start)', role: 'admin', prefix, keyHash: hash });
  return secret;
}

/**
 * The committed file stays as it is: a copy with every timestamp moved forward by whole days (the
 * newest order lands in the last 24 hours, shift-orders.ts) goes through the real CLI importer
 * from a temporary folder that is removed afterwards. Returns the shifted CSV for the events.
 */
function importShiftedOrders(databaseUrl: string, now: Date): string {
  const shifted = shiftOrders(readFileSync(DEMO_ORDERS, 'utf8'), now);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-demo-'));
  const file = path.join(folder, path.basename(DEMO_ORDERS));
  try {
    writeFileSync(file, shifted.csv);
    const output = execFileSync(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'import', 'orders', file],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 16 * 1024 * 1024 },
    ).toString();
    const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    say(
      `demo orders shifted by ${shifted.days.toLocaleString('en-US')} days (newest order ${day(shifted.newestBefore)} → ${day(shifted.newestAfter)} UTC; data/online_retail_sample.csv unchanged)`,
    );
    say(`demo orders: ${output.trim().split('\n').pop()}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  return shifted.csv;
}

/** Browsing and cart events around the orders, and the real-time segment's three product views. */
async function trackBrowsing(apiUrl: string, api: Call, ordersCsv: string, now: number): Promise<void> {
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo tracking', role: 'write' });
  const plan = browsingEvents(readOrderLines(ordersCsv), now);
  await track(apiUrl, secret, plan.messages);
  say(
    `demo browsing: ${plan.messages.length} synthetic Product Viewed / Product Added events (${plan.abandoners.length} customers with a cart and no order since, ${plan.buyers.length} who ordered what they added)`,
  );
  await api('POST', '/segments', { owner: 'demo@audiencekit.local', ...REALTIME_DEMO_SEGMENT });
  const browsers = ['demo-browser-1', 'demo-browser-2', 'demo-browser-3'];
  await track(
    apiUrl,
    secret,
    browsers.map((userId) => ({
      type: 'track',
      messageId: `demo-browsing-now-${userId}-${now}`,
      userId,
      event: 'Product Viewed',
      timestamp: new Date(now).toISOString(),
      properties: { sku: 'demo-sku', synthetic: true },
    })),
  );
  say(`real-time demo segment: ${REALTIME_DEMO_SEGMENT.key} (${browsers.length} product views tracked)`);
}

async function loadData(databaseUrl: string): Promise<void> {
  const dataSource = await createDataSource({ url: databaseUrl, poolSize: 4, applicationName: 'audiencekit-demo-seed' }).initialize();
  let adminKey: string | undefined;
  try {
    adminKey = await seedAdminKey(dataSource);
  } finally {
    await dataSource.destroy();
  }
  if (!adminKey) {
    say('demo data already loaded');
    return;
  }
  say(`demo admin API key (shown once, stored hashed): ${adminKey}`);
  const now = new Date();
  const ordersCsv = importShiftedOrders(databaseUrl, now);
  const apiUrl = process.env.AK_API_URL;
  if (!apiUrl) return;
  const api = adminApi(apiUrl, adminKey);
  // Refreshes queued now, run by the worker as soon as it is up.
  await createSegments(api, DEMO_SEGMENTS);
  say(`demo segments: ${DEMO_SEGMENTS.map((segment) => segment.key).join(', ')} (refresh queued)`);
  await trackBrowsing(apiUrl, api, ordersCsv, now.getTime());
}

/** After the worker is up: the demo activation, then the richer segment language, attempted even when the activation failed. */
async function activationPhase(databaseUrl: string): Promise<void> {
  let activationFailed = false;
  let activationId: string | undefined;
  try {
    activationId = await runDemoActivation(databaseUrl, say);
  } catch (error) {
    activationFailed = true;
    process.stderr.write(`the demo activation failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  const apiUrl = process.env.AK_API_URL;
  const adminKey = process.env.AK_DEMO_ADMIN_KEY;
  if (!apiUrl || !adminKey) throw new Error('AK_API_URL and AK_DEMO_ADMIN_KEY are required for the demo activation');
  // Customers and their countries are the same in the shifted copy: the committed file is read as it is.
  await runLanguageDemo(apiUrl, adminApi(apiUrl, adminKey), readOrderLines(readFileSync(DEMO_ORDERS, 'utf8')), say);
  if (activationId) await runOrchestrationDemo(apiUrl, adminApi(apiUrl, adminKey), activationId, say);
  await runTextSignalsDemo(apiUrl, adminApi(apiUrl, adminKey), say);
  // The seed's four plays need the demo CRM's live activation (the paid-media exclusion lands on it).
  if (activationId) await runPlaysDemo(apiUrl, adminKey, databaseUrl, say);
  if (activationFailed) throw new Error('the demo activation failed (see above)');
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  if (process.env.AK_DEMO_PHASE === 'activation') await activationPhase(url);
  else await loadData(url);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo data failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
