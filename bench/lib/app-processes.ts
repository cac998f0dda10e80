import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** A spawned API or worker process and where it listens. */
export interface AppProcess {
  child: ChildProcess;
  /** The API's base URL, or the worker's health server URL (/metrics). */
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Starts the real API (apps/api/src/main.ts) on a free loopback port; resolves once it listens.
 * `env` is added to the bench's environment. Refuses to hand back a non-loopback address.
 */
export function startApi(env: Record<string, string>, nodeFlags: string[] = []): Promise<AppProcess> {
  return startApp('apps/api/src/main.ts', { HOST: '127.0.0.1', PORT: '0', ...env }, /listening on (\S+)/, nodeFlags);
}

/** Starts the real worker (apps/worker/src/main.ts); resolves once it says it is up (its health server URL). */
export function startWorker(env: Record<string, string>, nodeFlags: string[] = []): Promise<AppProcess> {
  return startApp('apps/worker/src/main.ts', { WORKER_HEALTH_PORT: '0', ...env }, /health on (\S+)/, nodeFlags);
}

function startApp(entry: string, env: Record<string, string>, ready: RegExp, nodeFlags: string[]): Promise<AppProcess> {
  const child = spawn(process.execPath, [...nodeFlags, '-r', '@swc-node/register', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready.test(seen)) return void process.stderr.write(chunk);
      seen += String(chunk);
      const match = seen.match(ready);
      if (!match) return;
      if (!/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(match[1])) {
        child.kill('SIGKILL');
        return reject(new Error(`refusing a non-loopback address: ${match[1]}`));
      }
      resolve({
        child,
        url: match[1],
        pid: child.pid as number,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it was ready: ${seen}`)));
  });
}

/** Resident memory of a process in MiB (VmRSS of /proc/<pid>/status); 0 once it is gone. */
export function rssMiB(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// Linux reports utime/stime in clock ticks; 100 per second on every mainstream kernel config.
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used, in ms (fields 14 and 15 of /proc/<pid>/stat). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
