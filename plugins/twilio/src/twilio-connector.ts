import {
  ConnectorContext,
  ConnectorDefinition,
  ConnectorError,
  ConnectorLimits,
  defineConnector,
  delivered,
  EligibleMember,
  InvalidCredentialsError,
  MessageTemplate,
  PayloadValidationError,
  RecordOutcome,
  rejected,
  renderTemplate,
  retryable,
  RetryableError,
} from '@audiencekit/connector-sdk';
import { twilioClient } from './twilio-client';
import { asRestError, classifyTwilioError, createdButFailed, TwilioFailure } from './twilio-errors';
import { isE164, TwilioSecrets, twilioSecrets, TwilioSettings, twilioSettings, twilioLimits } from './twilio-settings';

type Ctx = ConnectorContext<TwilioSettings, TwilioSecrets>;

/** "Can be up to 1,600 characters in length" (Body, CreateMessageRequest); counted in UTF-16 units, as UCS-2 does. */
export const MAX_BODY_CHARS = 1_600;
/** Query parameter added to the status callback URL: Twilio echoes the URL, so the callback names our message. */
export const DELIVERY_KEY_PARAM = 'akDeliveryKey';

/**
 * An SMS sender's throughput depends on its settings: the contract's optional `limitsFor(settings)`,
 * which the core uses instead of the static `limits` (typed as required here so tests call it directly).
 */
export type TwilioDefinition = ConnectorDefinition<TwilioSettings, TwilioSecrets> & {
  limitsFor(settings: TwilioSettings): ConnectorLimits;
};

const definition = defineConnector<TwilioSettings, TwilioSecrets>({
  slug: 'twilio',
  displayName: 'Twilio SMS',
  channel: 'sms',
  deliveryModel: 'send',
  settings: twilioSettings,
  secrets: twilioSecrets,
  requiredIdentifiers: ['phone'],
  // Long code, the slowest documented sender; limitsFor gives the configured sender's.
  limits: twilioLimits({ senderType: 'long_code' }),

  async testConnection(ctx) {
    const { client } = twilioClient(ctx);
    try {
      // GET /2010-04-01/Accounts/{Sid}.json: authenticated and free.
      await client.api.v2010.accounts(ctx.settings.accountSid).fetch();
    } catch (error) {
      const failure = classifyTwilioError(error, {});
      const rest = asRestError(error);
      if (rest?.status === 404)
        throw new InvalidCredentialsError(`Twilio account ${ctx.settings.accountSid} not found for these credentials`, '20404');
      throw failure.scope === 'batch' ? failure.error : new PayloadValidationError(failure.reason, failure.code);
    }
  },

  async send(ctx, { members, message }) {
    if (typeof message.text !== 'string' || message.text === '')
      throw new PayloadValidationError('message.text is required: it is the SMS body');
    return sendBatch(ctx, members, message);
  },
});

export const twilioSms: TwilioDefinition = { ...definition, limitsFor: (settings) => twilioLimits(settings) };

/**
 * One Messages create per member, a few at a time, in batch order. Per-recipient errors reject
 * that member and the batch goes on. A batch-level failure (429, queue full, 5xx, credentials)
 * stops the batch: thrown as is when nothing was sent yet (the core retries the whole batch),
 * otherwise the sent members stay delivered and the rest are returned as retryable, so a retry
 * never sends a message twice.
 */
async function sendBatch(ctx: Ctx, members: readonly EligibleMember[], message: MessageTemplate): Promise<RecordOutcome[]> {
  const outcomes = new Map<string, RecordOutcome>();
  let stop: ConnectorError | undefined;
  let next = 0;

  // A client per worker: the SDK keeps the headers of its last answer, read for Retry-After.
  const worker = async (): Promise<void> => {
    const { client, http } = twilioClient(ctx);
    while (!stop && next < members.length && !ctx.signal.aborted) {
      const member = members[next++];
      const result = await sendOne(ctx, client, http.lastHeaders.bind(http), member, message);
      if ('error' in result) {
        stop ??= result.error;
        if (result.unknown)
          outcomes.set(member.profileId, retryable(member, `outcome unknown: ${result.error.message}`, retryAfterOf(result.error)));
      } else outcomes.set(member.profileId, result.outcome);
    }
  };
  const parallel = Math.min(members.length, parallelism(ctx.settings));
  await Promise.all(Array.from({ length: parallel }, worker));

  const sentAny = [...outcomes.values()].some((outcome) => outcome.status === 'delivered');
  if (stop && !sentAny) throw stop;
  if (!stop && ctx.signal.aborted) stop = new RetryableError('cut off by the core timeout');
  return members.map(
    (member) => outcomes.get(member.profileId) ?? retryable(member, `not sent: ${stop?.message ?? 'batch stopped'}`, retryAfterOf(stop)),
  );
}

type SendResult = { outcome: RecordOutcome } | { error: ConnectorError; unknown: boolean };

async function sendOne(
  ctx: Ctx,
  client: ReturnType<typeof twilioClient>['client'],
  headers: () => Record<string, string>,
  member: EligibleMember,
  message: MessageTemplate,
): Promise<SendResult> {
  const to = member.identifiers.phone;
  if (!to || !isE164(to)) return { outcome: rejected(member, 'phone is not an E.164 number', 'invalid_phone') };
  const body = renderTemplate(message.text as string, member);
  if (body.length > MAX_BODY_CHARS)
    return { outcome: rejected(member, `body is ${body.length} characters, over Twilio's 1,600`, 'body_too_long') };
  if (body.trim() === '') return { outcome: rejected(member, 'body renders empty', 'body_empty') };
  try {
    const created = await client.messages.create({
      to,
      body,
      ...(ctx.settings.messagingServiceSid ? { messagingServiceSid: ctx.settings.messagingServiceSid } : { from: ctx.settings.from }),
      ...(statusCallbackOf(ctx) ? { statusCallback: callbackUrl(statusCallbackOf(ctx) as string, member.deliveryKey) } : {}),
      ...(ctx.settings.validityPeriodSeconds ? { validityPeriod: ctx.settings.validityPeriodSeconds } : {}),
    });
    const failed = createdButFailed(created);
    return failed ? fromFailure(member, failed, false) : { outcome: delivered(member, created.sid) };
  } catch (error) {
    return fromFailure(member, classifyTwilioError(error, headers()), asRestError(error) === undefined);
  }
}

function fromFailure(member: EligibleMember, failure: TwilioFailure, unknown: boolean): SendResult {
  if (failure.scope === 'batch') return { error: failure.error, unknown };
  const outcome = rejected(member, failure.reason, failure.code);
  return { outcome: failure.suppress && outcome.status === 'rejected' ? { ...outcome, suppress: failure.suppress } : outcome };
}

/**
 * Where Twilio posts delivery states: `statusCallbackUrl` when the destination sets one (an
 * operator's own receiver), else our API's status route (`ctx.callbackUrl` + `/status`, present
 * when the core knows its public base URL), else none.
 */
export function statusCallbackOf(ctx: Pick<Ctx, 'settings' | 'callbackUrl'>): string | undefined {
  return ctx.settings.statusCallbackUrl ?? (ctx.callbackUrl ? `${ctx.callbackUrl}/status` : undefined);
}

/** The status callback URL with our delivery key in its query: Twilio has no metadata field on messages. */
export function callbackUrl(base: string, deliveryKey: string): string {
  const url = new URL(base);
  url.searchParams.set(DELIVERY_KEY_PARAM, deliveryKey);
  return url.toString();
}

/** Requests in flight within a batch: enough to keep a fast sender busy, one for a long code. */
function parallelism(settings: TwilioSettings): number {
  return Math.max(1, Math.min(10, twilioLimits(settings).maxBatchSize));
}

const retryAfterOf = (error: ConnectorError | undefined): number | undefined =>
  error instanceof RetryableError ? error.retryAfterMs : undefined;
