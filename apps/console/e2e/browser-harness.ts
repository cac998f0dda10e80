import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';

// What the console's browser tests share: the real API and worker spawned as `npm start` runs
// them, Debian's Chromium driven by playwright-core, and waiting for a page that updates on its own.
export const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(__dirname, 'artifacts');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Retries a jest assertion until it passes or `timeoutMs` runs out (pages update asynchronously). */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export const visible = (locator: Locator, timeout = 10_000) => locator.first().waitFor({ state: 'visible', timeout });
export const textOf = async (locator: Locator) => (await locator.first().innerText()).replace(/\s+/g, ' ').trim();

export interface StartedProcess {
  child: ChildProcess;
  ready: Promise<string>;
  output: () => string;
}

/** Spawns an app's entry point; `ready` resolves with the first group of `ready` in its output. */
export function startProcess(entry: string, env: Record<string, string>, ready: RegExp): StartedProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const readyPromise = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) resolve(match[1] ?? match[0]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, ready: readyPromise, output: () => output };
}

/** The API on a free loopback port over `databaseUrl` (plus `env`); `ready` resolves with its URL. */
export function startApi(databaseUrl: string, env: Record<string, string> = {}): StartedProcess {
  return startProcess(
    'apps/api/src/main.ts',
    { DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    /listening on (\S+)/,
  );
}

/** Opens the console at `apiUrl`, signs in with `apiKey` and waits for the Segments page. */
export async function signIn(page: Page, apiUrl: string, apiKey: string): Promise<void> {
  await page.goto(`${apiUrl}/console/`);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await visible(page.getByRole('heading', { name: 'Segments', level: 1 }));
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; page errors go to the test's output. */
export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ak-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 820 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => process.stderr.write(`[console page error] ${error.message}\n`));
  page.on('console', (message) => message.type() === 'error' && process.stderr.write(`[console error] ${message.text()}\n`));
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
