#!/usr/bin/env node
// `npm start`: runs the whole product on one machine.
//   - Postgres: DATABASE_URL if set; otherwise an embedded server whose data lives in AK_DATA_DIR
//     (default ./.data/postgres, kept across restarts) on AK_EMBEDDED_PG_PORT (default 54329). As root,
//     what the `postgres` user cannot reach goes to AK_EMBEDDED_PG_HOME (see libs/persistence/README.md);
//     the data's actual folder is printed. A failure of it is one line naming folder and reason, never a stack.
//   - the API (PORT, default 3000), demo data on first start (AK_DEMO_DATA=false to skip), the worker,
//     then the demo activation (first start only) against a local webhook receiver and a local SMS
//     vendor, the Twilio plugin's fake (tools/demo).
// Ctrl-C (or SIGTERM) stops the worker and the API, then the embedded Postgres.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EmbeddedPostgresError, describeFailure, startEmbeddedPostgres } from '../../libs/persistence/embedded/embedded-postgres.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const startedAt = Date.now();
const children = [];
let embedded;
let stopping = false;

function say(message) {
  process.stdout.write(`[audiencekit] ${message}\n`);
}

async function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net
      .createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)));
    probe.listen(port, '127.0.0.1');
  });
}

async function databaseUrl() {
  if (process.env.DATABASE_URL) {
    say('using the Postgres at DATABASE_URL');
    return process.env.DATABASE_URL;
  }
  const dataDir = path.resolve(process.env.AK_DATA_DIR ?? path.join(root, '.data'), 'postgres');
  const preferred = Number(process.env.AK_EMBEDDED_PG_PORT ?? 54329);
  const port = (await portIsFree(preferred)) ? preferred : undefined;
  embedded = await startEmbeddedPostgres({ dataDir, port });
  // Postgres dying later is said the same way; the API stays up and reports not-ready (/ready 503).
  embedded.onUnexpectedExit((error) => process.stderr.write(`${describeFailure(error, 'stopped')}\n`));
  await embedded.createDatabase('audiencekit');
  say(`embedded Postgres ${embedded.url('audiencekit').replace(/:[^:@/]+@/, ':***@')} (data in ${embedded.dataDir})`);
  return embedded.url('audiencekit');
}

function run(name, entry, env, { waitFor } = {}) {
  // The API's young-generation size (see API_NODE_FLAGS in apps/api/src/api-processes.ts).
  const flags = entry.startsWith('apps/api/') ? ['--max-semi-space-size=64'] : [];
  const child = spawn(process.execPath, [...flags, '-r', '@swc-node/register', path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push({ name, child });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      seen += chunk.toString();
      const match = waitFor && seen.match(waitFor);
      if (match) resolve(match);
    });
    child.on('exit', (code, signal) => {
      if (!waitFor || code === 0) resolve(waitFor ? null : seen);
      if (!stopping) reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
    });
  });
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  if (embedded) await embedded.stop().catch(() => {});
  process.exit(code);
}

// Destinations' vendor secrets are sealed with AES-256-GCM under AK_SECRETS_KEYS. When it is not
// set, npm start keeps a generated key ring in AK_DATA_DIR (0600), so a restart can still decrypt.
function secretsKeys() {
  if (process.env.AK_SECRETS_KEYS) return process.env.AK_SECRETS_KEYS;
  const dataDir = path.resolve(process.env.AK_DATA_DIR ?? path.join(root, '.data'));
  const file = path.join(dataDir, 'secrets-keys');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `k${Date.now().toString(36)}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    say(`generated a secrets key ring in ${file} (back it up: destinations' secrets need it)`);
  }
  return readFileSync(file, 'utf8').trim();
}

// The admin console (apps/console) is static files the API serves at /console/; it is rebuilt
// when missing or older than its sources (vite build takes about a second).
function newestMtime(dir) {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    }),
  );
}

async function buildConsole() {
  const app = path.join(root, 'apps/console');
  const built = path.join(app, 'dist/index.html');
  if (
    existsSync(built) &&
    statSync(built).mtimeMs >= Math.max(newestMtime(path.join(app, 'src')), statSync(path.join(app, 'index.html')).mtimeMs)
  )
    return;
  say('building the admin console…');
  const child = spawn(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', app, '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) say('the admin console did not build; the API runs without it');
}

async function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// The demo activation's destination: a webhook receiver on 127.0.0.1 (tools/demo/webhook-receiver.ts).
// Its port and signing secret are kept in AK_DATA_DIR/demo-webhook.json (0600), so the stored
// destination still reaches it after a restart. Returns its URL, or undefined when it cannot start
// (the product runs on; the demo activation's syncs then fail with the connection refused).
async function demoWebhookConfig() {
  const dataDir = path.resolve(process.env.AK_DATA_DIR ?? path.join(root, '.data'));
  const file = path.join(dataDir, 'demo-webhook.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ port: await freePort(), secret: randomBytes(24).toString('base64url') }), { mode: 0o600 });
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function demoWebhook({ port, secret }) {
  try {
    const env = { DEMO_WEBHOOK_PORT: String(port), DEMO_WEBHOOK_SECRET: secret };
    const [, url] = await run('demo-webhook', 'tools/demo/webhook-receiver.ts', env, { waitFor: /listening on (\S+)/ });
    return { url, secret };
  } catch {
    say(`the demo webhook receiver did not start on 127.0.0.1:${port}; the demo activation cannot deliver`);
    return undefined;
  }
}

// The demo's SMS vendor: the Twilio plugin's fake on 127.0.0.1 (tools/demo/sms-receiver.ts), the
// destination of the plays' owned send and win-back journey. Port, account and token are kept in
// AK_DATA_DIR/demo-sms.json (0600) like the webhook receiver's; the messages it accepts are appended
// to AK_DATA_DIR/demo-sms-outbox.jsonl, which the plays demo reads.
async function demoSmsConfig() {
  const dataDir = path.resolve(process.env.AK_DATA_DIR ?? path.join(root, '.data'));
  const file = path.join(dataDir, 'demo-sms.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const config = {
      port: await freePort(),
      accountSid: `AC${randomBytes(16).toString('hex')}`,
      authToken: randomBytes(24).toString('hex'),
    };
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  }
  return { ...JSON.parse(readFileSync(file, 'utf8')), outbox: path.join(dataDir, 'demo-sms-outbox.jsonl') };
}

async function demoSms(env, sms) {
  try {
    const smsEnv = {
      ...env,
      DEMO_SMS_PORT: String(sms.port),
      DEMO_SMS_ACCOUNT_SID: sms.accountSid,
      DEMO_SMS_AUTH_TOKEN: sms.authToken,
      DEMO_SMS_OUTBOX: sms.outbox,
    };
    await run('demo-sms', 'tools/demo/sms-receiver.ts', smsEnv, { waitFor: /listening on (\S+)/ });
    return sms;
  } catch {
    say(`the demo SMS vendor did not start on 127.0.0.1:${sms.port}; the demo plays cannot send`);
    return undefined;
  }
}

// The Twilio connector reaches the demo SMS vendor through AK_CONNECTOR_BASE_URLS (its host is then
// allowed to the connector, and to no other): added to what the variable names already.
function routeTwilioToDemo(env, port) {
  const urls = [process.env.AK_CONNECTOR_BASE_URLS, `twilio=http://127.0.0.1:${port}`].filter(Boolean).join(',');
  return { ...env, AK_CONNECTOR_BASE_URLS: urls };
}

// Loopback is refused to connectors unless allowed: with demo data on (the default), npm start
// allows the demo receiver's one address and port, 127.0.0.1:<port> (added to what
// AK_OUTBOUND_ALLOWED_HOSTS names) — not the whole loopback, where the database listens too.
function allowDemoReceiver(env, port) {
  const hosts = [process.env.AK_OUTBOUND_ALLOWED_HOSTS, `127.0.0.1:${port}`].filter(Boolean).join(',');
  return { ...env, AK_OUTBOUND_ALLOWED_HOSTS: hosts };
}

// After the worker is up, in the background: the demo activation (tools/demo/demo-activation.ts).
function demoActivation(env, apiUrl, adminKey, webhook, sms) {
  const demoEnv = {
    ...env,
    ...(sms ? { AK_DEMO_SMS_ACCOUNT_SID: sms.accountSid, AK_DEMO_SMS_AUTH_TOKEN: sms.authToken, AK_DEMO_SMS_OUTBOX: sms.outbox } : {}),
    AK_API_URL: apiUrl,
    AK_DEMO_PHASE: 'activation',
    AK_DEMO_ADMIN_KEY: adminKey,
    AK_DEMO_WEBHOOK_URL: webhook.url,
    AK_DEMO_WEBHOOK_SECRET: webhook.secret,
  };
  run('demo-activation', 'tools/demo/seed.ts', demoEnv).catch((error) => say(`the demo activation did not finish: ${error.message}`));
}

async function main() {
  await buildConsole();
  const url = await databaseUrl();
  const demo = process.env.AK_DEMO_DATA !== 'false';
  const base = { DATABASE_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', AK_SECRETS_KEYS: secretsKeys() };
  const receiver = demo ? await demoWebhookConfig() : undefined;
  const smsConfig = demo ? await demoSmsConfig() : undefined;
  const env = receiver ? routeTwilioToDemo(allowDemoReceiver(base, receiver.port), smsConfig.port) : base;
  const [, apiUrl] = await run('api', 'apps/api/src/main.ts', env, { waitFor: /listening on (\S+)/ });
  const seeded = demo ? await run('demo-data', 'tools/demo/seed.ts', { ...env, AK_API_URL: apiUrl }) : null;
  await run('worker', 'apps/worker/src/main.ts', env, { waitFor: /audiencekit-worker up/ });
  say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  say(`audiencekit is running at ${apiUrl}  (health: ${apiUrl}/health, readiness: ${apiUrl}/ready)`);
  say(`admin console: ${apiUrl}/console/  (sign in with the demo admin key printed on first start, or any admin-API key)`);
  say('press Ctrl-C to stop');
  // After ready: nothing before it needs the receiver, and starting it there slowed the API's start.
  const webhook = receiver ? await demoWebhook(receiver) : undefined;
  const sms = smsConfig ? await demoSms(env, smsConfig) : undefined;
  const adminKey = seeded?.match(/demo admin API key \(shown once, stored hashed\): (\S+)/)?.[1];
  if (adminKey && webhook) demoActivation(env, apiUrl, adminKey, webhook, sms);
}

const onStopSignal = () => void stopAll(0);
process.on('SIGINT', onStopSignal);
process.on('SIGTERM', onStopSignal);
process.on('SIGHUP', onStopSignal); // a closed terminal

main().catch((error) => {
  process.stderr.write(
    error instanceof EmbeddedPostgresError ? `${describeFailure(error)}\n` : `[audiencekit] failed to start: ${error.message}\n`,
  );
  void stopAll(1);
});
