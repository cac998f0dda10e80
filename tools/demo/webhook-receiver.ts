// The demo activation's destination: a local stand-in for a CRM, started by `npm start` on
// 127.0.0.1 only. It is the webhook plugin's own receiver (verifies the HMAC signature, 401
// otherwise, answers 204) and prints one line per batch it accepts: type and member count, no
// identifiers. Env: DEMO_WEBHOOK_PORT, DEMO_WEBHOOK_SECRET (the destination's signing secret).
import { startWebhookReceiver } from '@audiencekit/plugin-webhook/testing';

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_WEBHOOK_PORT);
  const signingSecret = process.env.DEMO_WEBHOOK_SECRET ?? '';
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`DEMO_WEBHOOK_PORT is not a port: ${process.env.DEMO_WEBHOOK_PORT}`);
  if (signingSecret.length < 16) throw new Error('DEMO_WEBHOOK_SECRET must hold 16 characters or more');
  const receiver = await startWebhookReceiver({ port, signingSecret });
  process.stdout.write(`[audiencekit] demo webhook receiver listening on ${receiver.url}/hooks/audiencekit\n`);
  const timer = setInterval(() => {
    for (const request of receiver.requests.splice(0)) {
      const body = request.body as { type?: string; members?: unknown[] };
      process.stdout.write(`[audiencekit] demo webhook receiver: ${body.type ?? 'request'} with ${body.members?.length ?? 0} member(s)\n`);
    }
  }, 250);
  const stop = (): void => {
    clearInterval(timer);
    void receiver.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[audiencekit] demo webhook receiver did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
