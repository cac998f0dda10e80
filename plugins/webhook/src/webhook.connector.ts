import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { AxiosError } from 'axios';
import { z } from 'zod';
import {
  allDelivered,
  ConnectorContext,
  ConnectorError,
  connectorErrorFromHttp,
  ConnectorDefinition,
  EligibleMember,
  PayloadValidationError,
  RecordOutcome,
  RetryableError,
} from '@audiencekit/connector-sdk';
import { signBody, SIGNATURE_HEADER } from './signature';
import { AllowedHosts, allowedHostsFromEnv, assertPublicTarget, guardedLookup, RefusedTargetError, ResolveAll, resolveAll } from './ssrf-guard';

export const webhookSettings = z.object({
  url: z.url({ protocol: /^https?$/ }).describe('Receiver URL; private and loopback hosts are refused unless the server allow-lists them'),
  includeTraits: z.boolean().default(true).describe('Send profile traits with each member'),
});
export const webhookSecrets = z.object({
  signingSecret: z.string().min(16).describe('Shared secret of the HMAC-SHA256 signature header'),
});
export type WebhookSettings = z.infer<typeof webhookSettings>;
export type WebhookSecrets = z.infer<typeof webhookSecrets>;
type Ctx = Omit<ConnectorContext<WebhookSettings, WebhookSecrets>, 'audience'> & { audience?: { externalId: string } };

export type WebhookEventType = 'segment.entered' | 'segment.exited' | 'ping';

/** The JSON body of every POST (README: "What it sends"). */
export interface WebhookPayload {
  type: WebhookEventType;
  /** The batch's idempotency key, also sent as the `Idempotency-Key` header: the same on a retry. */
  id: string;
  sentAt: string;
  activationId?: string;
  members: { profileId: string; identifiers: Record<string, string>; traits?: Record<string, unknown> }[];
}

export interface WebhookConnectorOptions {
  /** Hosts allowed although private (default: `AK_WEBHOOK_ALLOWED_HOSTS`, read at call time). */
  allowedHosts?: AllowedHosts;
  now?: () => number;
  /** Host name resolution (tests script DNS answers, e.g. a rebinding host). */
  resolve?: ResolveAll;
}

/** The webhook connector, with its SSRF allow-list injectable for tests; `webhook` is the default. */
export function createWebhookConnector(options: WebhookConnectorOptions = {}) {
  const allowedHosts = options.allowedHosts ?? allowedHostsFromEnv;
  const now = options.now ?? Date.now;
  const resolve = options.resolve ?? resolveAll;
  const lookup = guardedLookup(allowedHosts, resolve);
  // No keep-alive: every connection goes through the guarded lookup again.
  const httpAgent = new HttpAgent({ lookup } as never);
  const httpsAgent = new HttpsAgent({ lookup } as never);

  const post = async (ctx: Ctx, type: WebhookEventType, members: readonly EligibleMember[]): Promise<void> => {
    const url = new URL(ctx.settings.url);
    await assertPublicTarget(url, allowedHosts, resolve).catch(toConnectorError);
    const body = JSON.stringify(payload(ctx, type, members, now()));
    const signature = signBody(body, ctx.secrets.signingSecret, Math.floor(now() / 1000));
    const response = await axios
      .post(url.toString(), body, {
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'Idempotency-Key': ctx.idempotencyKey, 'user-agent': 'audiencekit-webhook/1' },
        maxRedirects: 0, // a redirect could point at a private host the guard never saw
        signal: ctx.signal,
        httpAgent,
        httpsAgent,
        proxy: false,
        transformRequest: [(data: string) => data], // send the exact bytes that were signed
      })
      .catch(toConnectorError);
    ctx.logger.info('webhook batch posted', { type, members: members.length, status: response.status, host: url.host });
  };

  // `satisfies` rather than defineConnector: callers see upsert and remove as present, not optional.
  return {
    slug: 'webhook',
    displayName: 'Webhook',
    channel: 'webhook',
    deliveryModel: 'list',
    settings: webhookSettings,
    secrets: webhookSecrets,
    requiredIdentifiers: ['email', 'phone', 'external_id'],
    limits: { maxBatchSize: 500, maxRequestsPerSecond: 10, maxConcurrency: 2 },
    testConnection: (ctx) => post(ctx, 'ping', []),
    // The receiver keeps no list we could create; the activation id names the audience in each event.
    ensureAudience: async (_ctx, input) => ({ externalId: input.activationId }),
    upsert: async (ctx, members): Promise<RecordOutcome[]> => {
      await post(ctx, 'segment.entered', members);
      return allDelivered(members);
    },
    remove: async (ctx, members): Promise<RecordOutcome[]> => {
      await post(ctx, 'segment.exited', members);
      return allDelivered(members);
    },
  } satisfies ConnectorDefinition<WebhookSettings, WebhookSecrets>;
}

export const webhook = createWebhookConnector();

function payload(ctx: Ctx, type: WebhookEventType, members: readonly EligibleMember[], nowMs: number): WebhookPayload {
  return {
    type,
    id: ctx.idempotencyKey,
    sentAt: new Date(nowMs).toISOString(),
    ...(ctx.audience ? { activationId: ctx.audience.externalId } : {}),
    members: members.map((member) => ({
      profileId: member.profileId,
      identifiers: { ...member.identifiers } as Record<string, string>,
      ...(ctx.settings.includeTraits ? { traits: { ...member.traits } } : {}),
    })),
  };
}

/** Every failure leaves as one of the SDK's errors; the core decides about retries. */
function toConnectorError(error: unknown): never {
  if (error instanceof ConnectorError) throw error;
  if (error instanceof RefusedTargetError) throw new PayloadValidationError(error.message, 'refused_target');
  if (error instanceof AxiosError) {
    if (error.code === 'EAK_WEBHOOK_REFUSED_TARGET') throw new PayloadValidationError(error.message, 'refused_target');
    if (error.response) {
      const status = error.response.status;
      throw connectorErrorFromHttp(status, error.response.headers as Record<string, string>, `webhook receiver answered HTTP ${status}`);
    }
    if (axios.isCancel(error) || error.code === 'ERR_CANCELED') throw new RetryableError('webhook receiver did not answer in time', undefined, 'timeout');
    throw new RetryableError(`webhook receiver unreachable: ${error.code ?? error.message}`, undefined, error.code);
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOTFOUND') throw new PayloadValidationError(`webhook host not found: ${(error as Error).message}`, errno);
  if (errno) throw new RetryableError(`webhook host lookup failed: ${errno}`, undefined, errno); // EAI_AGAIN: DNS hiccup
  throw new ConnectorError('connector_error', error instanceof Error ? error.message : String(error));
}
