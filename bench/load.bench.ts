/**
 * Ingestion load: a bounded autocannon run on loopback against POST /v1/batch of the real API (a
 * child process, as in production): a fixed number of connections, a fixed number of requests
 * (it stops by itself), every request a distinct batch of unique messageIds. Reports requests/s,
 * events/s, latency p50/p99 and errors (must be 0), and lost events: events in the database must
 * equal events acknowledged with a 2xx. Baseline in the same run: GET /health at the same
 * concurrency (the HTTP stack alone; the ratio column is /v1/batch against it).
 *
 *   npm run bench -- load                                    # 16 connections, 2,000 batches of 50
 *   npm run bench -- load --connections=32 --requests=5000 --batch=100
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import autocannon, { type AutocannonResult } from 'autocannon';
import { ApiKeyEntity } from '@audiencekit/persistence';
import { generateApiKey } from '@audiencekit/server-core';
import { createBenchDatabase } from './lib/bench-database';
import { printTable } from './lib/report';

const CONNECTIONS = Number(argument('connections') ?? 16);
const REQUESTS = Number(argument('requests') ?? 2_000);
const BATCH = Number(argument('batch') ?? 50);
const USERS = 5_000;

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** Starts the real API (apps/api/src/main.ts) on a free loopback port against the bench database. */
async function startApi(url: string): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.resolve(__dirname, '../apps/api/src/main.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: String(CONNECTIONS + 2),
      AK_ADMIN_RATE_LIMIT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (seen.includes('listening on')) return void process.stderr.write(chunk);
      seen += String(chunk);
      const match = seen.match(/listening on (\S+)/);
      if (match) resolve({ baseUrl: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before listening: ${seen}`)));
  });
}

let serial = 0;

/** A distinct batch: BATCH track events, each with a messageId never used before in this run. */
function nextBatch(): string {
  const batch = Array.from({ length: BATCH }, () => {
    serial += 1;
    const user = serial % USERS;
    return {
      type: 'track',
      messageId: `load-${serial}`,
      userId: `user-${user}`,
      event: 'Product Viewed',
      timestamp: new Date(Date.UTC(2024, 0, 1) + serial * 10).toISOString(),
      properties: { product_id: `sku-${serial % 997}`, price: (serial % 10_000) / 100 },
    };
  });
  return JSON.stringify({ batch, sentAt: new Date().toISOString() });
}

interface Measured {
  result: AutocannonResult;
  acknowledged: number;
}

async function batchLoad(baseUrl: string, writeKey: string): Promise<Measured> {
  let acknowledged = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    amount: REQUESTS,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/batch',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        setupRequest: (request) => ({ ...request, body: nextBatch() }),
        onResponse: (status, body) => {
          if (status < 200 || status >= 300) return;
          // Acknowledged: the batch's messages minus any the API says it rejected.
          const rejected = (JSON.parse(body) as { rejected?: unknown[] }).rejected?.length ?? 0;
          acknowledged += BATCH - rejected;
        },
      },
    ],
  });
  return { result, acknowledged };
}

async function healthLoad(baseUrl: string): Promise<AutocannonResult> {
  return autocannon({ url: `${baseUrl}/health`, connections: CONNECTIONS, amount: REQUESTS, timeout: 30 });
}

async function main(): Promise<void> {
  console.log(
    `${CONNECTIONS} connections, ${REQUESTS.toLocaleString('en-US')} requests per target, batches of ${BATCH} events (${(REQUESTS * BATCH).toLocaleString('en-US')} events)\n`,
  );
  const database = await createBenchDatabase('load');
  let api: { baseUrl: string; child: ChildProcess } | undefined;
  try {
    const { secret, prefix, hash } = generateApiKey('write');
    await database.dataSource
      .getRepository(ApiKeyEntity)
      .save({ name: 'load source', role: 'write', trust: 'server', prefix, keyHash: hash });
    api = await startApi(database.url);
    if (!new URL(api.baseUrl).hostname.match(/^(127\.0\.0\.1|localhost)$/))
      throw new Error(`refusing to load a non-loopback address: ${api.baseUrl}`);

    // Warm-up (JIT, connection pools), not measured.
    await autocannon({ url: `${api.baseUrl}/health`, connections: CONNECTIONS, amount: 500, timeout: 30 });
    const health = await healthLoad(api.baseUrl);
    const { result: batches, acknowledged } = await batchLoad(api.baseUrl, secret);
    const [{ stored }] = await database.dataSource.query(`SELECT count(*)::int AS stored FROM events WHERE message_id LIKE 'load-%'`);

    const row = (target: string, result: AutocannonResult, eventsPerRequest: number, baselineRate: number) => {
      const rate = result['2xx'] / result.duration;
      return {
        target,
        requests: result.requests.total,
        '2xx': result['2xx'],
        errors: result.errors + result.timeouts + result.non2xx,
        'requests/s': Math.round(rate),
        'events/s': Math.round(rate * eventsPerRequest),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        'ratio to /health': rate / baselineRate,
      };
    };
    const healthRate = health['2xx'] / health.duration;
    printTable([row('GET /health (baseline)', health, 0, healthRate), row('POST /v1/batch', batches, BATCH, healthRate)]);
    console.log('');
    printTable([{ 'events acknowledged (2xx)': acknowledged, 'events in the database': stored, lost: acknowledged - stored }]);
    const errors = batches.errors + batches.timeouts + batches.non2xx;
    if (errors !== 0) throw new Error(`${errors} failed /v1/batch requests`);
    if (stored !== acknowledged) throw new Error(`${acknowledged - stored} acknowledged events missing from the database`);
  } finally {
    api?.child.kill('SIGTERM');
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
