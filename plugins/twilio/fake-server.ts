/**
 * Runs the fake Twilio on its own, for a staging deployment or a manual try:
 *   FAKE_TWILIO_PORT=4020 FAKE_TWILIO_ACCOUNTS=AC…:token npm run fake:twilio
 * then point the core at it (AK_CONNECTOR_BASE_URLS, see docs/writing-a-connector.md).
 * FAKE_TWILIO_ACCOUNTS is a comma-separated list of `AccountSid:AuthToken` pairs.
 */
import { startTwilioFake } from './src/fake/twilio-fake';

const DEFAULT_ACCOUNT = `AC${'0'.repeat(32)}:fake-auth-token`;

async function main(): Promise<void> {
  const port = Number(process.env.FAKE_TWILIO_PORT ?? 4020);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`FAKE_TWILIO_PORT must be a port number (got ${process.env.FAKE_TWILIO_PORT})`);
  const pairs = (process.env.FAKE_TWILIO_ACCOUNTS ?? DEFAULT_ACCOUNT).split(',').map((pair) => pair.trim().split(':'));
  if (pairs.some((pair) => pair.length !== 2 || !pair[0] || !pair[1]))
    throw new Error('FAKE_TWILIO_ACCOUNTS must be AccountSid:AuthToken pairs, comma-separated');
  const fake = await startTwilioFake({ port, accounts: Object.fromEntries(pairs) });
  process.stdout.write(`fake Twilio listening on ${fake.url} (accounts: ${pairs.map(([sid]) => sid).join(', ')})\n`);
  const stop = (): void => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
