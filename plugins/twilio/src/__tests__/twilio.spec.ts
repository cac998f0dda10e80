import { InvalidCredentialsError, PayloadValidationError, RetryableError } from '@audiencekit/connector-sdk';
import { describeConnectorContract, testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { z } from 'zod';
import { MAGIC_BLOCKED_TO, MAGIC_INVALID_TO, MAGIC_QUEUE_FULL_FROM, startTwilioFake, TwilioFake, twilioError } from '../fake/twilio-fake';
import { DELIVERY_KEY_PARAM, twilioSms } from '../twilio-connector';
import createMessageSchema from './fixtures/create-message.schema.json';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'auth-token-for-tests';
const API_KEY = `SK${'b2'.repeat(16)}`;
const SERVICE = `MG${'c3'.repeat(16)}`;
const FROM = '+15005550006';
const settings = { accountSid: ACCOUNT, from: FROM, statusCallbackUrl: 'https://hooks.example.com/twilio/status?src=ak' };
const secrets = { authToken: TOKEN };
const message = { text: 'Hi {{first_name}}, your code is {{code}}' };
const createMessageBody = z.fromJSONSchema(createMessageSchema.schema as never);

const send = (
  ctx: Parameters<NonNullable<typeof twilioSms.send>>[0],
  members: Parameters<NonNullable<typeof twilioSms.send>>[1]['members'],
  text = message.text,
) => {
  if (!twilioSms.send) throw new Error('send is not implemented');
  return twilioSms.send(ctx, { members, message: { text } });
};

describe('twilio sms connector (send model)', () => {
  let fake: TwilioFake;

  beforeEach(async () => {
    fake = await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN }, apiKeys: { [API_KEY]: { secret: 'key-secret', accountSid: ACCOUNT } } });
  });
  afterEach(async () => {
    await fake.stop();
  });

  const context = (overrides: { settings?: Record<string, unknown>; secrets?: Record<string, unknown> } = {}) =>
    testContext(twilioSms, { settings: { ...settings, ...overrides.settings }, secrets: overrides.secrets ?? secrets, baseUrl: fake.url });

  describe('testConnection', () => {
    it('fetches the account with Basic auth', async () => {
      await expect(twilioSms.testConnection(context())).resolves.toBeUndefined();
      const [request] = fake.server.requests;
      expect(`${request.method} ${request.path}`).toBe(`GET /2010-04-01/Accounts/${ACCOUNT}.json`);
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`);
    });

    it('accepts an API key instead of the Auth Token', async () => {
      await expect(
        twilioSms.testConnection(context({ secrets: { apiKeySid: API_KEY, apiKeySecret: 'key-secret' } })),
      ).resolves.toBeUndefined();
    });

    it('calls with the API key when the Auth Token is kept too (the token is only for verifying callbacks)', async () => {
      const secrets = { apiKeySid: API_KEY, apiKeySecret: 'key-secret', authToken: 'not-used-for-calls' };
      await expect(twilioSms.testConnection(context({ secrets }))).resolves.toBeUndefined();
      const request = fake.server.requests.at(-1);
      expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${API_KEY}:key-secret`).toString('base64')}`);
    });

    it('throws InvalidCredentialsError for a wrong token (20003)', async () => {
      const error = await twilioSms.testConnection(context({ secrets: { authToken: 'wrong' } })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect((error as InvalidCredentialsError).vendorCode).toBe('20003');
    });
  });

  describe('send', () => {
    it('creates one message per member with the rendered body, the From and a traceable status callback', async () => {
      const members = [
        testMember({ profileId: 'p1', phone: '+14155550101', traits: { first_name: 'Ada', code: 'A1' }, deliveryKey: 'dk-1' }),
        testMember({ profileId: 'p2', phone: '+14155550102', traits: { first_name: 'Bob' }, deliveryKey: 'dk-2' }),
      ];
      const outcomes = await send(context(), members);

      expect(outcomes.map((outcome) => [outcome.profileId, outcome.status])).toEqual([
        ['p1', 'delivered'],
        ['p2', 'delivered'],
      ]);
      expect(outcomes[0]).toMatchObject({ vendorId: fake.messages[0].sid });
      expect(fake.messages.map((sms) => [sms.to, sms.from, sms.body])).toEqual([
        ['+14155550101', FROM, 'Hi Ada, your code is A1'],
        ['+14155550102', FROM, 'Hi Bob, your code is '],
      ]);
      const callback = new URL(fake.messages[0].statusCallback ?? '');
      expect(callback.searchParams.get(DELIVERY_KEY_PARAM)).toBe('dk-1');
      expect(callback.searchParams.get('src')).toBe('ak');
      for (const request of fake.server.requestsTo('POST /2010-04-01/Accounts/:accountSid/Messages.json')) {
        expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
        expect(createMessageBody.safeParse(request.body).error?.issues).toBeUndefined();
      }
    });

    it('sends through a Messaging Service when one is set, without a From, with the validity period', async () => {
      const ctx = context({ settings: { from: undefined, messagingServiceSid: SERVICE, validityPeriodSeconds: 600 } });
      await send(ctx, testMembers(1));
      const [request] = fake.server.requestsTo('POST /2010-04-01/Accounts/:accountSid/Messages.json');
      expect(request.body).toMatchObject({ MessagingServiceSid: SERVICE, ValidityPeriod: '600' });
      expect((request.body as Record<string, unknown>).From).toBeUndefined();
      expect(createMessageBody.safeParse(request.body).error?.issues).toBeUndefined();
    });

    it('answers per member inside a batch: 21211 rejected, 21610 rejected with a suppress hint, the rest delivered', async () => {
      const members = [
        testMember({ profileId: 'ok', phone: '+14155550101' }),
        testMember({ profileId: 'invalid', phone: MAGIC_INVALID_TO }),
        testMember({ profileId: 'stopped', phone: MAGIC_BLOCKED_TO }),
        testMember({ profileId: 'ok-2', phone: '+14155550102' }),
      ];
      const outcomes = await send(context(), members);
      const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
      expect(byId.ok.status).toBe('delivered');
      expect(byId['ok-2'].status).toBe('delivered');
      expect(byId.invalid).toMatchObject({ status: 'rejected', code: '21211' });
      expect(byId.invalid).not.toHaveProperty('suppress');
      expect(byId.stopped).toMatchObject({
        status: 'rejected',
        code: '21610',
        suppress: { identifier: 'phone', reason: 'replied STOP (21610)' },
      });
      expect(fake.messages.map((sms) => sms.to)).toEqual(['+14155550101', '+14155550102']);
    });

    it('rejects a body over 1,600 characters per member, without sending or truncating it', async () => {
      const long = testMember({ profileId: 'long', phone: '+14155550101', traits: { text: 'x'.repeat(1_601) } });
      const exact = testMember({ profileId: 'exact', phone: '+14155550102', traits: { text: 'y'.repeat(1_600) } });
      const outcomes = await send(context(), [long, exact], '{{text}}');
      expect(outcomes[0]).toMatchObject({ profileId: 'long', status: 'rejected', code: 'body_too_long' });
      expect(outcomes[1]).toMatchObject({ profileId: 'exact', status: 'delivered' });
      expect(fake.messages.map((sms) => sms.body.length)).toEqual([1_600]);
    });

    it('rejects a phone that is not E.164 without calling Twilio', async () => {
      const outcomes = await send(context(), [testMember({ profileId: 'p', phone: '0155 123' })]);
      expect(outcomes).toEqual([expect.objectContaining({ status: 'rejected', code: 'invalid_phone' })]);
      expect(fake.server.requests).toHaveLength(0);
    });

    it('surfaces a 429 (20429) before anything was sent as RetryableError with the Retry-After wait', async () => {
      fake.server.fault({ times: 1, respond: { ...twilioError(429, 20429, 'Too Many Requests'), headers: { 'Retry-After': '3' } } });
      const error = await send(context(), testMembers(2)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).retryAfterMs).toBe(3_000);
      expect((error as RetryableError).vendorCode).toBe('20429');
      expect(fake.messages).toHaveLength(0);
    });

    it('keeps what was sent when a 429 comes mid-batch: the rest come back retryable, so nothing is sent twice', async () => {
      const members = testMembers(3);
      fake.server.fault({
        times: 1,
        match: (request) => (request.body as Record<string, string> | undefined)?.To === members[1].identifiers.phone,
        respond: { ...twilioError(429, 20429, 'Too Many Requests'), headers: { 'Retry-After': '2' } },
      });
      const outcomes = await send(context(), members);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'retryable', 'retryable']);
      expect(outcomes[1]).toMatchObject({ retryAfterMs: 2_000 });
      expect(fake.messages).toHaveLength(1);
    });

    it('asks the core to slow down on a full queue: 21611 on create', async () => {
      const error = await send(context({ settings: { from: MAGIC_QUEUE_FULL_FROM } }), testMembers(2)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).hints).toEqual({ slowDown: true });
      expect((error as RetryableError).vendorCode).toBe('21611');
    });

    it('asks the core to slow down on a full queue: 30001 on a message created as failed', async () => {
      fake.server.fault({
        times: 1,
        respond: {
          status: 201,
          body: { sid: `SM${'d4'.repeat(16)}`, status: 'failed', error_code: 30001, error_message: 'Queue overflow' },
        },
      });
      const error = await send(context(), testMembers(1)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).hints.slowDown).toBe(true);
    });

    it('surfaces a 5xx as RetryableError, then delivers on the next call', async () => {
      fake.server.fault({ times: 1, respond: { status: 503, body: { code: 20500, message: 'Internal Server Error', status: 503 } } });
      const members = testMembers(2);
      await expect(send(context(), members)).rejects.toBeInstanceOf(RetryableError);
      const outcomes = await send(context(), members);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
      expect(fake.messages).toHaveLength(2);
    });

    it('treats a connection reset mid-batch as an unknown outcome for that member, not as delivered', async () => {
      const members = testMembers(3);
      fake.server.fault({
        times: 1,
        match: (request) => (request.body as Record<string, string> | undefined)?.To === members[1].identifiers.phone,
        reset: true,
      });
      const outcomes = await send(context(), members);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'retryable', 'retryable']);
      expect((outcomes[1] as { reason: string }).reason).toContain('outcome unknown');
    });

    it('throws InvalidCredentialsError when Twilio refuses the credentials on send', async () => {
      await expect(send(context({ secrets: { authToken: 'revoked' } }), testMembers(2))).rejects.toBeInstanceOf(InvalidCredentialsError);
    });

    it('refuses a message without text before calling Twilio', async () => {
      await expect(send(context(), testMembers(1), '')).rejects.toBeInstanceOf(PayloadValidationError);
      expect(fake.server.requests).toHaveLength(0);
    });

    it('sends a short-code batch of 100 a few at a time and answers in member order', async () => {
      const ctx = context({ settings: { senderType: 'short_code' } });
      const members = testMembers(twilioSms.limitsFor(ctx.settings).maxBatchSize);
      const outcomes = await send(ctx, members);
      expect(outcomes.map((outcome) => outcome.profileId)).toEqual(members.map((member) => member.profileId));
      expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
      expect(new Set(fake.messages.map((sms) => sms.to)).size).toBe(100);
    });
  });

  describe('settings and limits', () => {
    it('derives batch size and call rate from the sender type: batch × calls/s = documented MPS', () => {
      const limits = (extra: Record<string, unknown>) => twilioSms.limitsFor(twilioSms.settings.parse({ ...settings, ...extra }));
      expect(limits({})).toEqual({ maxBatchSize: 1, maxRequestsPerSecond: 1, maxConcurrency: 1 });
      expect(limits({ senderType: 'toll_free' })).toEqual({ maxBatchSize: 3, maxRequestsPerSecond: 1, maxConcurrency: 1 });
      expect(limits({ senderType: 'short_code' })).toEqual({ maxBatchSize: 100, maxRequestsPerSecond: 1, maxConcurrency: 1 });
      expect(limits({ messagesPerSecond: 0.5 })).toEqual({ maxBatchSize: 1, maxRequestsPerSecond: 0.5, maxConcurrency: 1 });
      expect(limits({ senderType: 'short_code', messagesPerSecond: 250 })).toEqual({
        maxBatchSize: 100,
        maxRequestsPerSecond: 2.5,
        maxConcurrency: 1,
      });
      expect(twilioSms.limits).toEqual(limits({}));
    });

    it('asks for exactly one of from and messagingServiceSid, and for a token or a complete API key', () => {
      expect(twilioSms.settings.safeParse({ accountSid: ACCOUNT }).success).toBe(false);
      expect(twilioSms.settings.safeParse({ accountSid: ACCOUNT, from: FROM, messagingServiceSid: SERVICE }).success).toBe(false);
      expect(twilioSms.settings.safeParse({ accountSid: 'AC123', from: FROM }).success).toBe(false);
      expect(twilioSms.secrets.safeParse({ apiKeySid: API_KEY }).success).toBe(false);
      expect(twilioSms.secrets.safeParse({ apiKeySid: API_KEY, apiKeySecret: 's' }).success).toBe(true);
      expect(twilioSms.secrets.safeParse({}).success).toBe(false);
      // An API key with the Auth Token: the key calls the API, the token only verifies Twilio's callbacks.
      expect(twilioSms.secrets.safeParse({ apiKeySid: API_KEY, apiKeySecret: 's', authToken: 't' }).success).toBe(true);
      expect(twilioSms.secrets.safeParse({ apiKeySid: API_KEY, authToken: 't' }).success).toBe(false);
    });

    it('refuses a status callback URL whose host has an underscore (Twilio refuses it on every send), naming the field', () => {
      const parsed = twilioSms.settings.safeParse({ ...settings, statusCallbackUrl: 'https://my_hooks.example.com/status' });
      expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
        ['statusCallbackUrl', expect.stringMatching(/underscore/)],
      ]);
      expect(twilioSms.settings.safeParse({ ...settings, statusCallbackUrl: 'https://hooks.example.com/my_status' }).success).toBe(true);
    });
  });
});

describeConnectorContract('twilio', {
  connector: twilioSms,
  startFake: async () => (await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN } })).server,
  settings,
  secrets,
  members: testMembers(5),
  message,
});
