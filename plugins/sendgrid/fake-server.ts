/**
 * Runs the fake SendGrid on its own, for a staging deployment or a manual try:
 *   FAKE_SENDGRID_PORT=4010 npm run fake:sendgrid
 * then point the core at it (AK_CONNECTOR_BASE_URLS, see docs/writing-a-connector.md). Any API key
 * starting with "SG." is accepted unless FAKE_SENDGRID_API_KEYS (comma-separated) names the keys.
 */
import { startSendgridFake } from './src/fake/sendgrid-fake';

async function main(): Promise<void> {
  const port = Number(process.env.FAKE_SENDGRID_PORT ?? 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`FAKE_SENDGRID_PORT must be a port number (got ${process.env.FAKE_SENDGRID_PORT})`);
  const apiKeys = process.env.FAKE_SENDGRID_API_KEYS?.split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const fake = await startSendgridFake({ port, apiKeys, pendingPolls: Number(process.env.FAKE_SENDGRID_PENDING_POLLS ?? 1) });
  process.stdout.write(`fake SendGrid listening on ${fake.url}\n`);
  const stop = (): void => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
