#!/usr/bin/env node
// `npm start`: runs the whole product on one machine.
//   - Postgres: DATABASE_URL if set; otherwise an embedded server whose data lives in AK_DATA_DIR
//     (default ./.data/postgres, kept across restarts) on AK_EMBEDDED_PG_PORT (default 54329). As root,
//     what the `postgres` user cannot reach goes to AK_EMBEDDED_PG_HOME (see libs/persistence/README.md);
//     the data's actual folder is printed. A failure of it is one line naming folder and reason, never a stack.
//   - the API (PORT, default 3000), demo data on first start (AK_DEMO_DATA=false to skip), the worker.
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
      if (!waitFor || code === 0) resolve(null);
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

async function main() {
  await buildConsole();
  const url = await databaseUrl();
  const env = { DATABASE_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', AK_SECRETS_KEYS: secretsKeys() };
  const [, apiUrl] = await run('api', 'apps/api/src/main.ts', env, { waitFor: /listening on (\S+)/ });
  if (process.env.AK_DEMO_DATA !== 'false') await run('demo-data', 'tools/demo/seed.ts', { ...env, AK_API_URL: apiUrl });
  await run('worker', 'apps/worker/src/main.ts', env, { waitFor: /audiencekit-worker up/ });
  say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  say(`audiencekit is running at ${apiUrl}  (health: ${apiUrl}/health, readiness: ${apiUrl}/ready)`);
  say(`admin console: ${apiUrl}/console/  (sign in with the demo admin key printed on first start, or any admin-API key)`);
  say('press Ctrl-C to stop');
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
