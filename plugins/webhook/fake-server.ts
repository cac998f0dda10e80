/**
 * Runs a webhook receiver on its own, for a staging deployment or a manual try:
 *   FAKE_WEBHOOK_PORT=4020 FAKE_WEBHOOK_SECRET=whsec_0123456789abcdef npm run fake:webhook
 * then create a webhook destination with url http://127.0.0.1:4020/hooks/audiencekit and that
 * signing secret (allow the host with AK_WEBHOOK_ALLOWED_HOSTS=127.0.0.1). Each verified event is printed.
 */
import { startWebhookReceiver } from './src/fake/webhook-receiver';

async function main(): Promise<void> {
  const port = Number(process.env.FAKE_WEBHOOK_PORT ?? 4020);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`FAKE_WEBHOOK_PORT must be a port number (got ${process.env.FAKE_WEBHOOK_PORT})`);
  const signingSecret = process.env.FAKE_WEBHOOK_SECRET;
  if (!signingSecret || signingSecret.length < 16)
    throw new Error('FAKE_WEBHOOK_SECRET must be set to the destination signing secret (16+ characters)');
  const receiver = await startWebhookReceiver({ port, signingSecret });
  process.stdout.write(`fake webhook receiver listening on ${receiver.url}/hooks/audiencekit\n`);
  const timer = setInterval(() => {
    for (const request of receiver.requests.splice(0))
      process.stdout.write(`${JSON.stringify({ signature: request.headers['x-audiencekit-signature'], body: request.body })}\n`);
  }, 500);
  const stop = (): void => {
    clearInterval(timer);
    void receiver.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
