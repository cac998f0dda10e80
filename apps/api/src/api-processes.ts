import cluster, { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AppConfig, migrateDatabase, serveClusterMetrics } from '@audiencekit/server-core';

/** What a worker tells the primary once its HTTP server listens. */
export interface ListeningMessage {
  type: 'audiencekit:listening';
  url: string;
}

/** A crash loop (this many replacements within RESTART_WINDOW_MS) stops the API instead of spinning. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;

/**
 * Node flags the API processes run with. A /v1/batch request allocates a few MB (the parsed body,
 * the events, the COPY text) that live until its group commits: with V8's default 16 MB semi-spaces
 * every few requests' live data was copied by the young-generation GC; 64 MB semi-spaces cut the
 * ingestion path's CPU by ~9% (bench/ingest and an in-process measurement), for up to ~150 MB more
 * memory per process under load. A flag given explicitly (NODE_OPTIONS, the command line) wins.
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=64'];

export function withApiNodeFlags(execArgv: readonly string[]): string[] {
  const given = `${execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return [...API_NODE_FLAGS.filter((flag) => !given.includes(flag.split('=')[0])), ...execArgv];
}

/** API_PROCESSES resolved: `auto` is one per core the process may use. */
export function apiProcessCount(setting: AppConfig['API_PROCESSES']): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * The primary of API_PROCESSES > 1 (node:cluster): it runs the migrations once, forks the API
 * processes (which share the listening port; the primary hands each new connection to one of them
 * in turn), prints the one "listening on" line when all of them listen, gathers /metrics for them,
 * replaces one that dies, and on SIGTERM/SIGINT stops them all (each drains its requests) and
 * exits 0. It serves no request itself. One Node.js process runs JavaScript on one core: on a
 * machine where ingestion is CPU-bound, this is what lets the API use the others.
 */
export async function superviseApiProcesses(config: AppConfig, processes: number, log: (line: string) => void): Promise<void> {
  if (config.MIGRATE_ON_START) await migrateDatabase(config.DATABASE_URL, 'audiencekit-api-migrate');
  serveClusterMetrics();
  const env = { MIGRATE_ON_START: 'false' }; // done above, once
  const listening = new Map<number, string>();
  const restarts: number[] = [];
  let announced = false;
  let stopping = false;

  cluster.setupPrimary({ execArgv: withApiNodeFlags(process.execArgv) });
  const fork = () => cluster.fork(env);
  cluster.on('message', (worker: Worker, message: ListeningMessage) => {
    if (message?.type !== 'audiencekit:listening') return;
    listening.set(worker.id, message.url);
    if (!announced && listening.size === processes) {
      announced = true;
      process.stdout.write(`audiencekit-api listening on ${message.url} (${processes} processes)\n`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (!announced) {
      // A process that cannot start (bad configuration, no database) would fail again: stop now.
      log(`an API process exited (${signal ?? code}) before the API started: stopping`);
      stopAll();
      process.exit(1);
    }
    const now = Date.now();
    while (restarts.length > 0 && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= MAX_RESTARTS) {
      log(`API processes died ${MAX_RESTARTS + 1} times within ${RESTART_WINDOW_MS / 1000} s: stopping`);
      stopAll();
      process.exit(1);
    }
    restarts.push(now);
    log(`API process ${worker.process.pid} exited (${signal ?? code}): starting a replacement`);
    setTimeout(fork, RESTART_DELAY_MS).unref();
  });

  const stopAll = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: stop waiting for the drain, as a single API process does.
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log(`${signal} received: stopping ${Object.keys(cluster.workers ?? {}).length} API processes`);
    stopAll();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    // Each process exits within its grace; this is only the backstop for one that hangs.
    setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  for (let index = 0; index < processes; index++) fork();
}
