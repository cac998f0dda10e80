import { rm } from 'node:fs/promises';
import path from 'node:path';

export default async function globalTeardown() {
  const embedded = globalThis.__AUDIENCEKIT_EMBEDDED_PG__;
  if (!embedded) return;
  await embedded.server.stop();
  await rm(embedded.root, { recursive: true, force: true });
  // As root, the data (and its password) may have been placed outside `root` (see embedded-postgres.mjs).
  const dataFolder = path.dirname(embedded.server.dataDir);
  if (dataFolder !== embedded.root) await rm(dataFolder, { recursive: true, force: true });
}
