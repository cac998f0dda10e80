/* Runs the fake Google Data Manager API (and OAuth token endpoint) on its own (`npm run fake:google`),
   so a staging deployment can point the google-ads connector at it (AK_CONNECTOR_BASE_URLS).
   Env: FAKE_GOOGLE_PORT (default 4102), FAKE_GOOGLE_ACCESS_TOKEN (default fake-google-token),
   FAKE_GOOGLE_OPERATING_ACCOUNT (default 1234567890), FAKE_GOOGLE_USER_LIST (default 555000111),
   FAKE_GOOGLE_REQUESTS_PER_MINUTE (default 300, the documented quota), FAKE_GOOGLE_PROCESSING_DELAY_MS
   (default 0: how long an ingest stays PROCESSING; Google advises a first status check after 30 minutes). */
import { startGoogleFake } from './src/fake/google-fake';

async function main(): Promise<void> {
  const fake = await startGoogleFake({
    port: Number(process.env.FAKE_GOOGLE_PORT ?? 4102),
    accessTokens: [process.env.FAKE_GOOGLE_ACCESS_TOKEN ?? 'fake-google-token'],
    operatingAccountId: process.env.FAKE_GOOGLE_OPERATING_ACCOUNT ?? '1234567890',
    userListId: process.env.FAKE_GOOGLE_USER_LIST ?? '555000111',
    requestsPerMinute: Number(process.env.FAKE_GOOGLE_REQUESTS_PER_MINUTE ?? 300),
    processingDelayMs: Number(process.env.FAKE_GOOGLE_PROCESSING_DELAY_MS ?? 0),
  });
  process.stdout.write(`fake Google Data Manager API listening on ${fake.url}\n`);
  const stop = () => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
