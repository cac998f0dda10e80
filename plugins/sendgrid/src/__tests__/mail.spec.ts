import { InvalidCredentialsError, PayloadValidationError, renderTemplate, RetryableError } from '@audiencekit/connector-sdk';
import { describeConnectorContract, testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { z } from 'zod';
import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import { sendgridEmail } from '../mail/mail-connector';
import { DELIVERY_KEY_ARG } from '../mail/personalizations';
import mailSendSchema from './fixtures/mail-send.schema.json';
import { requiredMethods } from './required-methods';

const mail = requiredMethods(sendgridEmail, 'send');

const secrets = { apiKey: 'SG.test-key-mail' };
const settings = { fromEmail: 'news@shop.example', fromName: 'Shop', categories: ['audiencekit'] };
const message = {
  subject: 'Hi {{first_name}}',
  text: 'Hello {{ first_name }}, you have {{stats.points}} points',
  html: '<p>Hello {{first_name}}</p>',
};
const mailSendBody = z.fromJSONSchema(mailSendSchema.schema as never);

describe('sendgrid email connector (send model)', () => {
  let fake: SendgridFake;

  beforeEach(async () => {
    fake = await startSendgridFake();
  });
  afterEach(async () => {
    await fake.stop();
  });

  const context = (apiKey = secrets.apiKey) => testContext(sendgridEmail, { settings, secrets: { apiKey }, baseUrl: fake.url });

  it('passes testConnection with a good key and throws InvalidCredentialsError for a refused one', async () => {
    await expect(sendgridEmail.testConnection(context())).resolves.toBeUndefined();
    const strict = await startSendgridFake({ apiKeys: ['SG.only'] });
    try {
      const ctx = testContext(sendgridEmail, { settings, secrets: { apiKey: 'SG.other' }, baseUrl: strict.url });
      await expect(sendgridEmail.testConnection(ctx)).rejects.toBeInstanceOf(InvalidCredentialsError);
      await expect(mail.send(ctx, { members: testMembers(1), message })).rejects.toBeInstanceOf(InvalidCredentialsError);
    } finally {
      await strict.stop();
    }
  });

  it('sends one request with a personalization per member: rendered subject, substituted content, delivery key in custom_args', async () => {
    const members = [
      testMember({ profileId: 'p1', email: 'ada@example.com', traits: { first_name: 'Ada', stats: { points: 12 } }, deliveryKey: 'dk-1' }),
      testMember({ profileId: 'p2', email: 'bob@example.com', traits: { first_name: '<b>Bob</b>' }, deliveryKey: 'dk-2' }),
    ];
    const outcomes = await mail.send(context(), { members, message });

    expect(outcomes.map((outcome) => [outcome.profileId, outcome.status])).toEqual([
      ['p1', 'delivered'],
      ['p2', 'delivered'],
    ]);
    expect(outcomes[0]).toMatchObject({ vendorId: fake.mails[0].messageId });
    const [request] = fake.server.requestsTo('POST /v3/mail/send');
    expect(mailSendBody.safeParse(request.body).error?.issues).toBeUndefined();
    expect((request.body as any).personalizations.map((p: any) => p.custom_args)).toEqual([
      { [DELIVERY_KEY_ARG]: 'dk-1' },
      { [DELIVERY_KEY_ARG]: 'dk-2' },
    ]);

    const [ada, bob] = fake.mails;
    expect(ada).toMatchObject({
      to: 'ada@example.com',
      from: 'news@shop.example',
      subject: 'Hi Ada',
      text: renderTemplate(message.text, members[0]),
      html: '<p>Hello Ada</p>',
    });
    expect(ada.text).toBe('Hello Ada, you have 12 points');
    // Text gets the trait as is, HTML gets it escaped: a trait cannot inject markup.
    expect(bob).toMatchObject({
      subject: 'Hi <b>Bob</b>',
      text: 'Hello <b>Bob</b>, you have  points',
      html: '<p>Hello &lt;b&gt;Bob&lt;/b&gt;</p>',
    });
  });

  it('passes traits as dynamic_template_data when the message names a vendor template', async () => {
    const member = testMember({ profileId: 'p1', email: 'ada@example.com', traits: { first_name: 'Ada', tier: 'gold' } });
    await mail.send(context(), { members: [member], message: { templateId: 'd-0123456789abcdef' } });
    const [request] = fake.server.requestsTo('POST /v3/mail/send');
    expect(mailSendBody.safeParse(request.body).error?.issues).toBeUndefined();
    expect(request.body).toMatchObject({
      template_id: 'd-0123456789abcdef',
      personalizations: [{ dynamic_template_data: { first_name: 'Ada', tier: 'gold' } }],
    });
    expect((request.body as any).content).toBeUndefined();
  });

  it('rejects the recipient a 400 names and delivers the rest of the batch', async () => {
    const members = [
      testMember({ profileId: 'ok-1', email: 'a@example.com' }),
      testMember({ profileId: 'bad', email: 'not an address' }),
      testMember({ profileId: 'ok-2', email: 'c@example.com' }),
    ];
    const outcomes = await mail.send(context(), { members, message });
    const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
    expect(byId.bad).toMatchObject({ status: 'rejected', code: 'HTTP 400' });
    expect((byId.bad as { reason: string }).reason).toContain('personalizations.1.to.0.email');
    expect([byId['ok-1'].status, byId['ok-2'].status]).toEqual(['delivered', 'delivered']);
    expect(fake.mails.map((mail) => mail.to)).toEqual(['a@example.com', 'c@example.com']);
  });

  it('rejects a member whose subject renders empty or whose substitutions exceed 10,000 bytes, and sends the rest', async () => {
    const perMember = { subject: '{{first_name}}', text: 'Hello {{first_name}}: {{bio}}' };
    const members = [
      testMember({ profileId: 'ok', email: 'a@example.com', traits: { first_name: 'Ada', bio: 'short' } }),
      testMember({ profileId: 'no-subject', email: 'b@example.com', traits: { bio: 'short' } }),
      testMember({ profileId: 'long', email: 'c@example.com', traits: { first_name: 'Cy', bio: 'x'.repeat(9_000) } }),
    ];
    const outcomes = await mail.send(context(), { members, message: perMember });
    const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
    expect(byId.ok.status).toBe('delivered');
    expect(byId['no-subject']).toMatchObject({ status: 'rejected', code: 'invalid_personalization' });
    expect((byId['no-subject'] as { reason: string }).reason).toMatch(/subject renders empty/);
    expect(byId.long).toMatchObject({ status: 'rejected', code: 'invalid_personalization' });
    expect((byId.long as { reason: string }).reason).toMatch(/substitutions .* bytes .*10000/);
    // Refused before sending: one request, with the sendable member only.
    expect(fake.server.requestsTo('POST /v3/mail/send')).toHaveLength(1);
    expect(fake.mails.map((sent) => sent.to)).toEqual(['a@example.com']);
  });

  it('the fake refuses an empty personalization subject and over-long substitutions as SendGrid does (400, errors naming the field)', async () => {
    const post = async (personalization: Record<string, unknown>) => {
      const response = await fetch(`${fake.url}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          personalizations: [{ to: [{ email: 'a@example.com' }], ...personalization }],
          from: { email: 'news@shop.example' },
          subject: 'fallback',
          content: [{ type: 'text/plain', value: 'hi -name-' }],
        }),
      });
      return { status: response.status, body: (await response.json()) as { errors: { field: string | null; message: string }[] } };
    };
    const empty = await post({ subject: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([
      expect.objectContaining({ field: 'personalizations.0.subject', message: expect.stringMatching(/at least one character/) }),
    ]);
    const long = await post({ substitutions: { '-name-': 'x'.repeat(10_001) } });
    expect(long.status).toBe(400);
    expect(long.body.errors).toEqual([{ field: 'personalizations.0.substitutions', message: expect.stringMatching(/10000 bytes/) }]);
    const data = await post({ dynamic_template_data: { bio: 'x'.repeat(10_001) } });
    expect(data.body.errors).toEqual([
      { field: 'personalizations.0.dynamic_template_data', message: expect.stringMatching(/10000 bytes/) },
    ]);
    expect(fake.mails).toHaveLength(0);
  });

  it('surfaces a 429 as RetryableError with the Retry-After wait', async () => {
    fake.server.fault({
      match: 'POST /v3/mail/send',
      times: 1,
      respond: { status: 429, headers: { 'Retry-After': '5' }, body: { errors: [{ field: null, message: 'too many requests' }] } },
    });
    const error = await mail.send(context(), { members: testMembers(2), message }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(5_000);
    expect(fake.mails).toHaveLength(0);
  });

  it('surfaces a 5xx as RetryableError, then delivers on the next call', async () => {
    fake.server.fault({
      match: 'POST /v3/mail/send',
      times: 1,
      respond: { status: 500, body: { errors: [{ message: 'internal server error' }] } },
    });
    const members = testMembers(2);
    await expect(mail.send(context(), { members, message })).rejects.toBeInstanceOf(RetryableError);
    const outcomes = await mail.send(context(), { members, message });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
    expect(fake.mails).toHaveLength(2);
  });

  it('splits into requests of at most 1,000 personalizations', async () => {
    const members = testMembers(2_500);
    const outcomes = await mail.send(context(), { members, message });
    expect(fake.server.requestsTo('POST /v3/mail/send').map((request) => (request.body as any).personalizations.length)).toEqual([
      1_000, 1_000, 500,
    ]);
    expect(outcomes).toHaveLength(2_500);
    expect(new Set(fake.mails.map((mail) => mail.customArgs[DELIVERY_KEY_ARG])).size).toBe(2_500);
  }, 30_000);

  it('keeps what was sent when a later request of the same call fails: the unsent members come back retryable', async () => {
    let calls = 0;
    fake.server.fault({
      match: (request) => request.method === 'POST' && request.path === '/v3/mail/send' && ++calls === 2,
      respond: { status: 503, headers: { 'Retry-After': '4' }, body: { errors: [{ message: 'internal server error' }] } },
    });
    const members = testMembers(2_500);
    const outcomes = await mail.send(context(), { members, message });
    expect(outcomes.slice(0, 1_000).every((outcome) => outcome.status === 'delivered')).toBe(true);
    expect(outcomes.slice(1_000).every((outcome) => outcome.status === 'retryable')).toBe(true);
    expect(outcomes[1_000]).toMatchObject({ retryAfterMs: 4_000 });
    expect(fake.mails).toHaveLength(1_000);
  }, 30_000);

  it('refuses a message with neither template nor subject and content, before calling the vendor', async () => {
    await expect(mail.send(context(), { members: testMembers(1), message: { text: 'no subject' } })).rejects.toBeInstanceOf(
      PayloadValidationError,
    );
    expect(fake.server.requests).toHaveLength(0);
  });
});

describe('sendgrid email settings', () => {
  it('refuses duplicate categories (uniqueItems in Mail Send: every send would fail), naming the field', () => {
    const parsed = sendgridEmail.settings.safeParse({ ...settings, categories: ['news', 'promo', 'news'] });
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['categories', expect.stringMatching(/only once/)],
    ]);
    expect(sendgridEmail.settings.safeParse({ ...settings, categories: ['news', 'promo'] }).success).toBe(true);
  });
});

describeConnectorContract('sendgrid-email', {
  connector: sendgridEmail,
  startFake: async () => (await startSendgridFake()).server,
  settings,
  secrets,
  members: testMembers(5),
  message,
});
