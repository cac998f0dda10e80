import { FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { verifySignature } from '../signature';

export interface WebhookReceiverOptions {
  /** The destination's signing secret: requests not signed with it answer 401. */
  signingSecret: string;
  port?: number;
  /** Path that receives the events (default `/hooks/audiencekit`). */
  path?: string;
  /** Clock of the timestamp check (tests that sign with a fixed clock pass the same one). */
  now?: () => number;
}

/**
 * A receiver as a CRM integration would write one: verifies `X-Audiencekit-Signature` over the raw
 * body (401 when it does not match), then answers 204. Events are the recorded requests' bodies.
 */
export function startWebhookReceiver(options: WebhookReceiverOptions): Promise<FakeVendorServer> {
  return startFakeVendor({
    port: options.port,
    routes: {
      [`POST ${options.path ?? '/hooks/audiencekit'}`]: (request) => {
        const header = request.headers['x-audiencekit-signature'];
        const signed =
          typeof header === 'string' && verifySignature(header, request.rawBody, options.signingSecret, (options.now ?? Date.now)());
        return signed ? { status: 204 } : { status: 401, body: { error: 'bad signature' } };
      },
    },
  });
}
