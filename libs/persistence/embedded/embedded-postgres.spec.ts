import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

// The launcher module is plain ESM (.mjs), which jest does not load: each server runs in a child
// node process, exactly as `npm start` and the jest global setup use it.
const MODULE = path.join(__dirname, 'embedded-postgres.mjs');
const OLD_CONSTANT_PASSWORD = 'audiencekit-embedded';

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function startInChild(dataDir: string): Promise<Running> {
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(MODULE)};
    const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
    process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
    process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const poll = setInterval(() => {
      const match = text.match(/\{"port":(\d+)\}/);
      if (match) {
        clearInterval(poll);
        resolve(Number(match[1]));
      } else if (child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error(`the embedded server did not start:\n${text}`));
      }
    }, 50);
  });
  return { child, port, output: () => text };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
}

async function selectOne(port: number, password: string): Promise<number> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return rows[0].one;
  } finally {
    await client.end();
  }
}

function passwordOf(folder: string): string {
  return readFileSync(path.join(folder, 'postgres-password'), 'utf8').trim();
}

describe('embedded Postgres superuser password', () => {
  let root: string;
  const running: Running[] = [];
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-pg-password-'));
    chmodSync(root, 0o755); // reachable by the `postgres` user when run as root: the data stays here
  });
  afterAll(async () => {
    await Promise.all(running.map(stop));
    rmSync(root, { recursive: true, force: true });
  });

  it('is generated per data folder, kept private next to it, reused on restart, and the old constant no longer connects', async () => {
    const folderA = path.join(root, 'a');
    const folderB = path.join(root, 'b');
    const first = await startInChild(path.join(folderA, 'postgres'));
    running.push(first);

    const passwordA = passwordOf(folderA);
    const file = statSync(path.join(folderA, 'postgres-password'));
    expect(file.mode & 0o777).toBe(0o600);
    expect(file.uid).toBe(process.getuid?.());
    expect(passwordA.length).toBeGreaterThanOrEqual(24);
    expect(first.output()).not.toContain(passwordA);
    await expect(selectOne(first.port, passwordA)).resolves.toBe(1);
    await expect(selectOne(first.port, OLD_CONSTANT_PASSWORD)).rejects.toThrow(/password authentication failed/);

    const second = await startInChild(path.join(folderB, 'postgres'));
    running.push(second);
    expect(passwordOf(folderB)).not.toBe(passwordA);
    await expect(selectOne(second.port, passwordOf(folderB))).resolves.toBe(1);
    await expect(selectOne(second.port, passwordA)).rejects.toThrow(/password authentication failed/);

    await stop(first);
    const restarted = await startInChild(path.join(folderA, 'postgres'));
    running.push(restarted);
    expect(passwordOf(folderA)).toBe(passwordA);
    await expect(selectOne(restarted.port, passwordA)).resolves.toBe(1);
  }, 120_000);

  it('gives a data folder made with the old constant a generated password on its next start', async () => {
    const folder = path.join(root, 'legacy');
    const before = await startInChild(path.join(folder, 'postgres'));
    running.push(before);
    // What a folder initialised before this change looks like: the constant, no password file.
    const client = new Client({
      host: '127.0.0.1',
      port: before.port,
      user: 'postgres',
      password: passwordOf(folder),
      database: 'postgres',
    });
    await client.connect();
    await client.query(`ALTER ROLE postgres PASSWORD '${OLD_CONSTANT_PASSWORD}'`);
    await client.end();
    unlinkSync(path.join(folder, 'postgres-password'));
    await stop(before);

    const after = await startInChild(path.join(folder, 'postgres'));
    running.push(after);
    expect(passwordOf(folder)).not.toBe(OLD_CONSTANT_PASSWORD);
    expect(statSync(path.join(folder, 'postgres-password')).mode & 0o777).toBe(0o600);
    await expect(selectOne(after.port, passwordOf(folder))).resolves.toBe(1);
    await expect(selectOne(after.port, OLD_CONSTANT_PASSWORD)).rejects.toThrow(/password authentication failed/);
  }, 120_000);
});
