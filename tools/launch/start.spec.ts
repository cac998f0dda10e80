import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '@audiencekit/testing';

// `npm start` end to end, exactly as a newcomer runs it: no DATABASE_URL, so an embedded Postgres
// starts from the npm package, the API migrates it, demo data loads, the worker comes up.

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function launch(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
} {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/launch/start.mjs')], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = text.match(re);
        if (match) {
          clearInterval(poll);
          resolve(match);
        } else if (child.exitCode !== null || Date.now() - started > 60_000) {
          clearInterval(poll);
          reject(new Error(`never saw ${re}:\n${text}`));
        }
      }, 50);
    });
  return { child, output: () => text, waitFor };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm start (embedded default)', () => {
  let dataRoot: string;
  beforeAll(() => {
    dataRoot = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-start-'));
    chmodSync(dataRoot, 0o755);
  });
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('starts everything on an embedded Postgres, keeps the data across restarts, and reports not-ready when Postgres stops', async () => {
    const env = { AK_DATA_DIR: dataRoot, PORT: String(await freePort()), AK_EMBEDDED_PG_PORT: String(await freePort()) };

    const first = launch(env);
    const [, url] = await first.waitFor(/running at (\S+)/);
    expect(first.output()).toMatch(/demo admin API key \(shown once, stored hashed\): ak_adm_/);
    expect(first.output()).toMatch(/demo orders: +events stored +28,000/);
    expect(first.output()).toMatch(/demo segments: cart-abandoner, vip, win-back-candidate, champions, at-risk-high-value/);
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ ready: true, database: 'up', migrations: 'up-to-date' });
    // The real-time demo segment fills from its tracked views through the worker, with no refresh.
    await first.waitFor(/real-time demo segment: browsing-now \(3 product views tracked\)/);
    const adminKey = (first.output().match(/demo admin API key \(shown once, stored hashed\): (\S+)/) as RegExpMatchArray)[1];
    const headers = { authorization: `Bearer ${adminKey}` };
    const list = (await (await fetch(`${url}/segments?limit=100`, { headers })).json()) as {
      items: { id: string; key: string; refreshCadence: string }[];
    };
    const browsing = list.items.find((item) => item.key === 'browsing-now');
    expect(browsing?.refreshCadence).toBe('realtime');
    await waitUntil(async () => {
      const feed = (await (await fetch(`${url}/segments/${browsing?.id}/changes?limit=10`, { headers })).json()) as {
        size: number;
        items: { change: string; cause: string }[];
      };
      return feed.size === 3 && feed.items.every((item) => item.change === 'added' && item.cause === 'realtime');
    }, 30_000);
    expect(await stop(first.child)).toBe(0);

    const second = launch(env);
    await second.waitFor(/running at/);
    expect(second.output()).toMatch(/demo data already loaded/);
    expect(second.output()).not.toMatch(/demo admin API key/);

    // Stop Postgres underneath the running API (fast shutdown of the postmaster): readiness turns red.
    const postmasterPid = Number(readFileSync(path.join(dataRoot, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmasterPid, 'SIGINT');
    await second.waitFor(/embedded Postgres stopped/);
    expect(second.output()).toContain(
      `[audiencekit] embedded Postgres stopped: ${path.join(dataRoot, 'postgres')}: it exited (code 0). Set DATABASE_URL=postgres://… to use your own server.\n`,
    );
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, database: 'down' });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await stop(second.child);
  }, 120_000);
});

describe('npm start when the embedded Postgres cannot start', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-start-fail-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints one line naming the folder, the reason and DATABASE_URL, with no stack trace, and exits 1', async () => {
    // A data folder below a plain file cannot be created, not even by root (ENOTDIR), like a read-only disk.
    const plainFile = path.join(scratch, 'not-a-folder');
    writeFileSync(plainFile, '');
    const started = launch({
      AK_DATA_DIR: path.join(plainFile, 'data'),
      PORT: String(await freePort()),
      AK_EMBEDDED_PG_PORT: String(await freePort()),
    });
    const code = await new Promise<number | null>((resolve) => started.child.once('exit', (exitCode) => resolve(exitCode)));

    expect(code).toBe(1);
    const progress = /^\[audiencekit\] (building the admin console…|stopping…)$/;
    expect(
      started
        .output()
        .split('\n')
        .filter((line) => line !== '' && !progress.test(line)),
    ).toEqual([
      `[audiencekit] embedded Postgres cannot start: ${path.join(plainFile, 'data')}: a part of this path is a file, not a folder (ENOTDIR). Set DATABASE_URL=postgres://… to use your own server.`,
    ]);
    expect(started.output()).not.toMatch(/^\s+at /m);
  }, 60_000);
});
