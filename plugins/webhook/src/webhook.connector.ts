import { z } from 'zod';
import {
  allDelivered,
  COMPUTED_KEY_PATTERN,
  ConnectorContext,
  ConnectorError,
  connectorErrorFromHttp,
  ConnectorDefinition,
  EligibleMember,
  isHttpCancel,
  isHttpClientError,
  PayloadValidationError,
  pickComputed,
  RecordOutcome,
  refusedTargetIn,
  RetryableError,
} from '@audiencekit/connector-sdk';
import { signBody, SIGNATURE_HEADER } from './signature';

export const webhookSettings = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Receiver URL; private and loopback hosts are refused unless the server allow-lists them (AK_OUTBOUND_ALLOWED_HOSTS)'),
  includeTraits: z.boolean().default(true).describe('Send profile traits with each member'),
  computedTraits: z
    .array(z.string().regex(COMPUTED_KEY_PATTERN, 'must be a computed or SQL trait key (lower-case letter, then a-z, 0-9 or _)'))
    .max(100)
    .refine((keys) => new Set(keys).size === keys.length, 'must not name a key twice')
    // Optional without a default: settings saved before this field existed stay exactly as saved.
    .optional()
    .describe('Computed and SQL trait keys sent under `computed` with each member'),
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
  members: {
    profileId: string;
    identifiers: Record<string, string>;
    traits?: Record<string, unknown>;
    /** The selected computed and SQL trait values the member has (settings `computedTraits`); absent when none is selected. */
    computed?: Record<string, unknown>;
  }[];
}

export interface WebhookConnectorOptions {
  now?: () => number;
}

/**
 * The webhook connector (`webhook` is the default instance). The URL is the marketer's, so the
 * request goes through `ctx.http`, the SDK's guarded client: private targets are refused (unless the
 * operator allow-lists them), at the check and again at connect time, and no redirect is followed.
 */
export function createWebhookConnector(options: WebhookConnectorOptions = {}) {
  const now = options.now ?? Date.now;

  const post = async (ctx: Ctx, type: WebhookEventType, members: readonly EligibleMember[]): Promise<void> => {
    const url = new URL(ctx.settings.url);
    const body = JSON.stringify(payload(ctx, type, members, now()));
    const signature = signBody(body, ctx.secrets.signingSecret, Math.floor(now() / 1000));
    const response = await ctx.http.client
      .post(url.toString(), body, {
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signature,
          'Idempotency-Key': ctx.idempotencyKey,
          'user-agent': 'audiencekit-webhook/1',
        },
        signal: ctx.signal,
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
    computedTraitRefs: (settings) => (settings.computedTraits ?? []).map((key, index) => ({ key, path: `computedTraits.${index}` })),
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
      ...(ctx.settings.computedTraits?.length ? { computed: pickComputed(member, ctx.settings.computedTraits) } : {}),
    })),
  };
}

/** Every failure leaves as one of the SDK's errors; the core decides about retries. */
function toConnectorError(error: unknown): never {
  if (error instanceof ConnectorError) throw error;
  const refused = refusedTargetIn(error);
  if (refused) throw refused;
  if (isHttpClientError(error)) {
    if (error.response) {
      const status = error.response.status;
      throw connectorErrorFromHttp(status, error.response.headers as Record<string, string>, `webhook receiver answered HTTP ${status}`);
    }
    if (isHttpCancel(error)) throw new RetryableError('webhook receiver did not answer in time', undefined, 'timeout');
    throw new RetryableError(`webhook receiver unreachable: ${error.code ?? error.message}`, undefined, error.code);
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOTFOUND') throw new PayloadValidationError(`webhook host not found: ${(error as Error).message}`, errno);
  if (errno) throw new RetryableError(`webhook host lookup failed: ${errno}`, undefined, errno); // EAI_AGAIN: DNS hiccup
  throw new ConnectorError('connector_error', error instanceof Error ? error.message : String(error));
}
