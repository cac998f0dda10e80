// Demo data for `npm start`, loaded once into an empty database (idempotent: a second start sees
// the admin key and does nothing). Prints the demo admin key the first time only: it is stored
// hashed. Everything after the key goes through the product's own doors: the CLI importer for the
// orders and the admin API (AK_API_URL) for the segments, so the demo exercises what users use.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, createDataSource } from '@audiencekit/persistence';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { generateApiKey } from '@audiencekit/server-core';

const ROOT = path.resolve(__dirname, '../..');
/** 30,000 real transactions (UCI Online Retail, 2010–2011); see data/README.md. */
const DEMO_ORDERS = path.join(ROOT, 'data/online_retail_sample.csv');

async function seedAdminKey(dataSource: DataSource): Promise<string | undefined> {
  const keys = dataSource.getRepository(ApiKeyEntity);
  if ((await keys.count()) > 0) return undefined;
  const { secret, prefix, hash } = generateApiKey('admin');
  await keys.save({ name: 'demo admin (created by npm start)', role: 'admin', prefix, keyHash: hash });
  return secret;
}

function importOrders(databaseUrl: string): void {
  const output = execFileSync(
    process.execPath,
    ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'import', 'orders', DEMO_ORDERS],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      maxBuffer: 16 * 1024 * 1024,
    },
  ).toString();
  process.stdout.write(`[audiencekit] demo orders: ${output.trim().split('\n').pop()}\n`);
}

/**
 * The seeds' examples plus value tiers. The data is from 2011, so windows relative to today find
 * nobody for "last 90 days"; the RFM tiers use the whole history ('ever') and still rank customers.
 */
const DEMO_SEGMENTS = [
  ...Object.values(EXAMPLE_SEGMENTS).map((example) => ({
    ...example,
    kpi: { event: 'Order Completed', windowDays: 30, valueProperty: 'revenue' },
  })),
  {
    key: 'champions',
    name: 'Champions',
    description: 'RFM tier: bought recently, often, and for a lot. Play: exclusive early access.',
    definition: { type: 'rfm', tiers: ['champions'], window: 'ever' },
    kpi: { event: 'Order Completed', windowDays: 30, valueProperty: 'revenue' },
  },
  {
    key: 'at-risk-high-value',
    name: 'At-risk high-value',
    description: 'RFM tier: lapsed customers with high frequency and spend. Play: win-back offer.',
    definition: { type: 'rfm', tiers: ['at_risk_high_value'], window: 'ever' },
    kpi: { event: 'Order Completed', windowDays: 30, valueProperty: 'revenue' },
  },
];

/**
 * A real-time segment (evaluated on every event, and left by itself when its hour is over), and a
 * few tracked product views so it has members the moment the worker is up: the segment page's
 * live feed shows them enter now and exit an hour later.
 */
const REALTIME_DEMO_SEGMENT = {
  key: 'browsing-now',
  name: 'Browsing now',
  description:
    'Viewed a product in the last hour and ordered nothing in that hour. Real time: enters on the view, exits when the hour is over.',
  refreshCadence: 'realtime',
  definition: {
    type: 'rules',
    match: {
      type: 'all',
      conditions: [
        { type: 'event', event: 'Product Viewed', window: 'last 1 hours' },
        { type: 'event', event: 'Order Completed', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
      ],
    },
  },
  kpi: { event: 'Order Completed', windowDays: 1, valueProperty: 'revenue' },
};

const DEMO_BROWSERS = ['demo-browser-1', 'demo-browser-2', 'demo-browser-3'];

async function createRealtimeDemo(apiUrl: string, headers: Record<string, string>): Promise<void> {
  const created = await fetch(`${apiUrl}/segments`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ owner: 'demo@audiencekit.local', ...REALTIME_DEMO_SEGMENT }),
  });
  if (!created.ok) throw new Error(`creating demo segment ${REALTIME_DEMO_SEGMENT.key}: HTTP ${created.status} ${await created.text()}`);
  const key = await fetch(`${apiUrl}/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'demo tracking', role: 'write' }) });
  if (!key.ok) throw new Error(`creating the demo write key: HTTP ${key.status} ${await key.text()}`);
  const { secret } = (await key.json()) as { secret: string };
  const batch = DEMO_BROWSERS.map((userId) => ({ type: 'track', userId, event: 'Product Viewed', properties: { sku: 'demo-sku' } }));
  const tracked = await fetch(`${apiUrl}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  if (!tracked.ok) throw new Error(`tracking the demo views: HTTP ${tracked.status} ${await tracked.text()}`);
  process.stdout.write(
    `[audiencekit] real-time demo segment: ${REALTIME_DEMO_SEGMENT.key} (${DEMO_BROWSERS.length} product views tracked)\n`,
  );
}

async function createSegments(apiUrl: string, adminKey: string): Promise<void> {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  for (const segment of DEMO_SEGMENTS) {
    const created = await fetch(`${apiUrl}/segments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ owner: 'demo@audiencekit.local', ...segment }),
    });
    if (!created.ok) throw new Error(`creating demo segment ${segment.key}: HTTP ${created.status} ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    // Queued now, run by the worker as soon as it is up.
    const refresh = await fetch(`${apiUrl}/segments/${id}/refresh`, { method: 'POST', headers });
    if (!refresh.ok) throw new Error(`refreshing demo segment ${segment.key}: HTTP ${refresh.status}`);
  }
  process.stdout.write(`[audiencekit] demo segments: ${DEMO_SEGMENTS.map((segment) => segment.key).join(', ')} (refresh queued)\n`);
  await createRealtimeDemo(apiUrl, headers);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const dataSource = await createDataSource({ url, poolSize: 4, applicationName: 'audiencekit-demo-seed' }).initialize();
  let adminKey: string | undefined;
  try {
    adminKey = await seedAdminKey(dataSource);
  } finally {
    await dataSource.destroy();
  }
  if (!adminKey) {
    process.stdout.write('[audiencekit] demo data already loaded\n');
    return;
  }
  process.stdout.write(`[audiencekit] demo admin API key (shown once, stored hashed): ${adminKey}\n`);
  importOrders(url);
  if (process.env.AK_API_URL) await createSegments(process.env.AK_API_URL, adminKey);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo data failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
