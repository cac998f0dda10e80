import { MailService } from '@sendgrid/mail';
import {
  ConnectorContext,
  defineConnector,
  delivered,
  EligibleMember,
  MessageTemplate,
  PayloadValidationError,
  RecordOutcome,
  rejected,
  retryable,
  RetryableError,
} from '@audiencekit/connector-sdk';
import {
  describeErrors,
  sendgridClient,
  sendgridFailure,
  sendgridRequest,
  SendgridSecrets,
  sendgridSecrets,
  toConnectorError,
} from '../sendgrid-client';
import { MailSettings, mailSettings } from './mail-settings';
import { contentWithTags, MAX_PERSONALIZATIONS, personalizationFor, personalizationProblem } from './personalizations';

type Ctx = ConnectorContext<MailSettings, SendgridSecrets>;

/**
 * SendGrid Mail Send, send model: one POST /v3/mail/send per up to 1,000 members, one
 * personalization each, our delivery key in its `custom_args`. 202 means accepted for delivery.
 */
export const sendgridEmail = defineConnector<MailSettings, SendgridSecrets>({
  slug: 'sendgrid-email',
  displayName: 'SendGrid Email (send)',
  channel: 'email',
  deliveryModel: 'send',
  settings: mailSettings,
  secrets: sendgridSecrets,
  requiredIdentifiers: ['email'],
  limits: { maxBatchSize: MAX_PERSONALIZATIONS, maxConcurrency: 1 },

  async testConnection(ctx) {
    await sendgridRequest(sendgridClient(ctx), { method: 'GET', url: '/v3/scopes' });
  },

  async send(ctx, { members, message }) {
    assertSendable(message);
    const outcomes: RecordOutcome[] = [];
    for (let start = 0; start < members.length; start += MAX_PERSONALIZATIONS) {
      try {
        outcomes.push(...(await sendChunk(ctx, members.slice(start, start + MAX_PERSONALIZATIONS), message)));
      } catch (error) {
        // Mail already sent must not be sent again: once a request went through, a later failure
        // answers the unsent members as retryable instead of failing the whole call.
        if (!outcomes.some((outcome) => outcome.status === 'delivered')) throw error;
        const wait = error instanceof RetryableError ? error.retryAfterMs : undefined;
        const reason = `not sent: ${error instanceof Error ? error.message : String(error)}`;
        return [...outcomes, ...members.slice(start).map((member) => retryable(member, reason, wait))];
      }
    }
    return outcomes;
  },
});

function assertSendable(message: MessageTemplate): void {
  if (message.templateId) return;
  if (!message.subject) throw new PayloadValidationError('message.subject is required without a templateId');
  if (!message.text && !message.html) throw new PayloadValidationError('message.text or message.html is required without a templateId');
}

/**
 * Members whose personalization SendGrid would refuse (an empty subject, data over 10,000 bytes)
 * are rejected here: one such member would otherwise fail the request of all the others.
 */
async function sendChunk(ctx: Ctx, members: EligibleMember[], message: MessageTemplate): Promise<RecordOutcome[]> {
  const { paths } = contentWithTags(message);
  const refused: RecordOutcome[] = [];
  const sendable: EligibleMember[] = [];
  for (const member of members) {
    const problem = personalizationProblem(personalizationFor(member, message, paths));
    if (problem === undefined) sendable.push(member);
    else refused.push(rejected(member, problem, 'invalid_personalization'));
  }
  if (sendable.length === 0) return refused;
  return [...refused, ...(await sendValid(ctx, sendable, message))];
}

/**
 * One request. A 400 whose errors name personalizations (`personalizations.3.to.0.email`) rejects
 * those members and sends the others once more without them (SendGrid refuses a request whole);
 * any other refusal maps to the closed error set.
 */
async function sendValid(ctx: Ctx, members: EligibleMember[], message: MessageTemplate): Promise<RecordOutcome[]> {
  try {
    return await postMail(ctx, members, message);
  } catch (error) {
    const named = namedPersonalizationErrors(error, members.length);
    if (named.size === 0) throw toConnectorError(error, 'POST /v3/mail/send');
    const refused = members.flatMap((member, index) =>
      named.has(index) ? [rejected(member, `SendGrid refused the recipient: ${named.get(index)}`, 'HTTP 400')] : [],
    );
    const rest = members.filter((_member, index) => !named.has(index));
    if (rest.length === 0) return refused;
    const sent = await postMail(ctx, rest, message).catch((retryError: unknown) => {
      throw toConnectorError(retryError, 'POST /v3/mail/send');
    });
    return [...refused, ...sent];
  }
}

async function postMail(ctx: Ctx, members: EligibleMember[], message: MessageTemplate): Promise<RecordOutcome[]> {
  const mail = new MailService();
  mail.setClient(sendgridClient(ctx));
  const content = contentWithTags(message);
  const settings = ctx.settings;
  const [response] = await mail.send({
    from: { email: settings.fromEmail, ...(settings.fromName ? { name: settings.fromName } : {}) },
    ...(settings.replyToEmail ? { replyTo: { email: settings.replyToEmail } } : {}),
    personalizations: members.map((member) => personalizationFor(member, message, content.paths)),
    ...(message.templateId
      ? { templateId: message.templateId }
      : { subject: message.subject, content: contentParts(content) as [{ type: string; value: string }] }),
    ...(settings.categories.length > 0 ? { categories: settings.categories } : {}),
    ...(settings.unsubscribeGroupId !== undefined ? { asm: { groupId: settings.unsubscribeGroupId } } : {}),
    ...(settings.sandboxMode ? { mailSettings: { sandboxMode: { enable: true } } } : {}),
  });
  const messageId = headerText(response.headers, 'x-message-id');
  return members.map((member) => delivered(member, messageId));
}

/** text/plain must come first when both are present (a documented Mail Send rule). */
function contentParts(content: { text?: string; html?: string }): { type: string; value: string }[] {
  return [
    ...(content.text ? [{ type: 'text/plain', value: content.text }] : []),
    ...(content.html ? [{ type: 'text/html', value: content.html }] : []),
  ];
}

const PERSONALIZATION_FIELD = /^personalizations\.(\d+)\./;

function namedPersonalizationErrors(error: unknown, count: number): Map<number, string> {
  const failure = sendgridFailure(error);
  const named = new Map<number, string>();
  if (!failure || failure.status !== 400 || failure.errors.length === 0) return named;
  for (const item of failure.errors) {
    const match = PERSONALIZATION_FIELD.exec(item.field ?? '');
    if (!match || Number(match[1]) >= count) return new Map(); // not about one recipient: fail as a whole
    named.set(Number(match[1]), describeErrors([item]));
  }
  return named;
}

function headerText(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const record = headers as Record<string, unknown>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
