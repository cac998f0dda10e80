import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/** The workspace root (where package.json and tsconfig.base.json are). */
export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when `pattern` appears in stdout/stderr; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnTsOptions {
  /** Pass this process' whole environment under `env` (default: only PATH and HOME). */
  inheritEnv?: boolean;
}

/**
 * Runs a TypeScript entry point of this workspace (an app's main.ts, a test server) in a real
 * child process, through `@swc-node/register`, from the workspace root; stdout and stderr are
 * collected together. The caller kills it (`child.kill`) and may await `exited()`.
 *
 * @param entry a path relative to the workspace root (an absolute path works too).
 * @example const worker = spawnTs('apps/worker/src/main.ts', { DATABASE_URL: db.url });
 *          await worker.waitFor(/worker started/, 30_000);
 */
export function spawnTs(entry: string, env: Record<string, string>, options: SpawnTsOptions = {}): SpawnedProcess {
  const base = options.inheritEnv ? process.env : { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.resolve(WORKSPACE_ROOT, entry)], {
    cwd: WORKSPACE_ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    listeners.forEach((listener) => listener());
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      listeners.forEach((listener) => listener());
    });
  });
  return {
    child,
    output: () => text,
    exited: () => exit,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) return done(() => resolve(match));
          if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`process exited before ${pattern}:\n${text}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${text}`))), timeoutMs);
        const done = (finish: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          finish();
        };
        listeners.add(check);
        check();
      }),
  };
}
