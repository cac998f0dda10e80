// Jest global setup: decide which Postgres server the test run uses and hand its URL to the workers
// through the environment (workers are forked after this runs).
//   1. AK_TEST_DATABASE_URL or DATABASE_URL, if set: that server (its database is the admin database);
//   2. CI=true: the CI machine's server at postgres://postgres@127.0.0.1:5432/test;
//   3. otherwise: an embedded server in a temporary folder, stopped by the global teardown; when it
//      cannot start, one line says why (and to set DATABASE_URL) and the run exits 1.
// Every test file then creates its own database on that server (see src/testing/create-test-database.ts).
import { mkdtemp, chmod, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeFailure, startEmbeddedPostgres } from './embedded-postgres.mjs';

export default async function globalSetup() {
  const configured = process.env.AK_TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (configured) {
    process.env.AK_TEST_DATABASE_URL = configured;
    return;
  }
  if (process.env.CI === 'true') {
    process.env.AK_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
    return;
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'audiencekit-test-pg-'));
  await chmod(root, 0o755);
  let server;
  try {
    // A password of its own, generated into `root` (or, as root when the `postgres` user cannot
    // enter os.tmpdir(), next to the data in AK_EMBEDDED_PG_HOME); both go in the teardown.
    server = await startEmbeddedPostgres({ dataDir: path.join(root, 'data') });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    process.stderr.write(`${describeFailure(error)}\n`);
    process.exit(1);
  }
  server.onUnexpectedExit((error) => process.stderr.write(`${describeFailure(error, 'stopped')}\n`));
  globalThis.__AUDIENCEKIT_EMBEDDED_PG__ = { server, root };
  process.env.AK_TEST_DATABASE_URL = server.url('postgres');
  process.env.AK_TEST_EMBEDDED = '1';
}
