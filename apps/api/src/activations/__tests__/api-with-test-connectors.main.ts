// A real API process with the test connectors, for the test that greps its logs for secrets.
// Environment as for apps/api/src/main.ts; prints `listening on <url>` once up.
import { loadConfig } from '@audiencekit/server-core';
import { startActivationsTestApi } from './activations-test-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const api = await startActivationsTestApi(config.DATABASE_URL, { env: { ...(process.env as Record<string, string>) } });
  process.stdout.write(`listening on ${api.baseUrl}\n`);
  process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
