// The demo's SMS vendor: the Twilio plugin's own fake (`@audiencekit/plugin-twilio/testing`: the
// Messages API with Twilio's documented request checks and errors), started by `npm start` on
// 127.0.0.1 only, as the destination of the plays' owned send and win-back journey. Each message it
// accepts is appended to DEMO_SMS_OUTBOX (one JSON line: to, body, at; 0600, in AK_DATA_DIR), the
// demo's "handset": the plays demo reads it to show who received what — and that no control
// member received anything. Prints one line per second with messages accepted, no numbers.
// Env: DEMO_SMS_PORT, DEMO_SMS_ACCOUNT_SID, DEMO_SMS_AUTH_TOKEN, DEMO_SMS_OUTBOX.
import { appendFileSync } from 'node:fs';
import { startTwilioFake } from '@audiencekit/plugin-twilio/testing';

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_SMS_PORT);
  const accountSid = process.env.DEMO_SMS_ACCOUNT_SID ?? '';
  const authToken = process.env.DEMO_SMS_AUTH_TOKEN ?? '';
  const outbox = process.env.DEMO_SMS_OUTBOX ?? '';
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`DEMO_SMS_PORT is not a port: ${process.env.DEMO_SMS_PORT}`);
  if (!/^AC[0-9a-f]{32}$/.test(accountSid) || authToken.length < 16 || !outbox)
    throw new Error('DEMO_SMS_ACCOUNT_SID, DEMO_SMS_AUTH_TOKEN and DEMO_SMS_OUTBOX are required');
  const fake = await startTwilioFake({ port, accounts: { [accountSid]: authToken } });
  process.stdout.write(`[audiencekit] demo SMS vendor (Twilio fake) listening on ${fake.url}\n`);
  const timer = setInterval(() => {
    const accepted = fake.messages.splice(0);
    if (accepted.length === 0) return;
    const at = new Date().toISOString();
    appendFileSync(outbox, accepted.map((message) => `${JSON.stringify({ to: message.to, body: message.body, at })}\n`).join(''), {
      mode: 0o600,
    });
    process.stdout.write(`[audiencekit] demo SMS vendor: ${accepted.length} message(s) accepted\n`);
  }, 1_000);
  const stop = (): void => {
    clearInterval(timer);
    void fake.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[audiencekit] demo SMS vendor did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
