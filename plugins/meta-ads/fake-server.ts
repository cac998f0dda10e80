/* Runs the fake Meta Graph API on its own (`npm run fake:meta`), so a staging deployment can point
   the meta-ads connector at it (AK_CONNECTOR_BASE_URLS). Env: FAKE_META_PORT (default 4101),
   FAKE_META_ACCESS_TOKEN (default fake-meta-token), FAKE_META_AD_ACCOUNT (default 1234567890). */
import { startMetaFake } from './src/fake/meta-fake';

async function main(): Promise<void> {
  const fake = await startMetaFake({
    port: Number(process.env.FAKE_META_PORT ?? 4101),
    accessToken: process.env.FAKE_META_ACCESS_TOKEN ?? 'fake-meta-token',
    adAccountId: process.env.FAKE_META_AD_ACCOUNT ?? '1234567890',
  });
  process.stdout.write(`fake Meta Graph API listening on ${fake.url}\n`);
  const stop = () => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
