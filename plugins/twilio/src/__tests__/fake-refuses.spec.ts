import { startTwilioFake, TwilioFake } from '../fake/twilio-fake';

/**
 * The fake refuses what Twilio refuses, over raw HTTP: one sample per constraint of Twilio's own
 * OpenAPI operation (plugins/twilio/spec: required To, the x-twilio.conditional groups, the
 * MessagingServiceSid pattern, StatusCallback `uri`, integer / boolean / enum types, the AccountSid
 * path pattern, the Basic auth scheme), the limits Twilio documents beside the schema (Body 1,600,
 * ValidityPeriod 1–36000, StatusCallback host and length) and the magic numbers of the test
 * credentials page, each answered with `{ code, message, more_info, status }`.
 */
const ACCOUNT = `AC${'f0'.repeat(16)}`;
const TOKEN = 'refusal-token';
const FROM = '+15005550006';

describe('twilio fake refuses invalid requests as Twilio does', () => {
  let fake: TwilioFake;
  beforeAll(async () => {
    fake = await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN, ACshort: 'short-token' } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  async function post(form: Record<string, string>, options: { account?: string; authorization?: string; url?: string } = {}) {
    const account = options.account ?? ACCOUNT;
    const response = await fetch(`${options.url ?? fake.url}/2010-04-01/Accounts/${account}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: options.authorization ?? basic(account, TOKEN),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const message = (overrides: Record<string, string | undefined>) =>
    Object.fromEntries(
      Object.entries({ To: '+14155550100', From: FROM, Body: 'Hello', ...overrides }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
  const twilioError = (status: number, code: number) => ({
    code,
    message: expect.any(String),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });

  it.each([
    ['required To', { To: undefined }, 21604],
    ['x-twilio.conditional: From or MessagingServiceSid', { From: undefined }, 21603],
    ['x-twilio.conditional: Body, MediaUrl or ContentSid', { Body: undefined }, 21602],
    ['pattern of MessagingServiceSid', { From: undefined, MessagingServiceSid: 'MG-not-a-sid' }, 21703],
    ['format uri of StatusCallback', { StatusCallback: 'not a url' }, 21609],
    ['StatusCallback host with an underscore', { StatusCallback: 'https://hooks_ak.example.com/status' }, 21609],
    ['StatusCallback not http(s)', { StatusCallback: 'ftp://hooks.example.com/status' }, 21609],
    ['StatusCallback over 4,000 characters', { StatusCallback: `https://hooks.example.com/${'s'.repeat(4000)}` }, 21609],
    ['type integer of ValidityPeriod', { ValidityPeriod: 'soon' }, 21624],
    ['ValidityPeriod below 1', { ValidityPeriod: '0' }, 21624],
    ['ValidityPeriod above 36000', { ValidityPeriod: '36001' }, 21624],
    ['enum of ContentRetention', { ContentRetention: 'forever' }, 400],
    ['type boolean of SmartEncoded', { SmartEncoded: 'maybe' }, 400],
    ['type number of MaxPrice', { MaxPrice: 'cheap' }, 400],
    ['pattern of ContentSid', { ContentSid: 'HX-bad' }, 400],
    ['Body over 1,600 characters', { Body: 'x'.repeat(1601) }, 21617],
    ['test number: invalid To +15005550001', { To: '+15005550001' }, 21211],
    ['test number: To +15005550002 not reachable via SMS', { To: '+15005550002' }, 21612],
    ['test number: To +15005550003 without the region permission', { To: '+15005550003' }, 21408],
    ['test number: To +15005550004 blocked (STOP)', { To: '+15005550004' }, 21610],
    ['test number: To +15005550009 not SMS-capable', { To: '+15005550009' }, 21614],
    ['test number: invalid From +15005550001', { From: '+15005550001' }, 21212],
    ['test number: From +15005550007 not owned or not SMS-capable', { From: '+15005550007' }, 21606],
    ['test number: From +15005550008 queue full', { From: '+15005550008' }, 21611],
  ] as [string, Record<string, string | undefined>, number][])('%s → 400 with the documented code', async (_name, overrides, code) => {
    const answer = await post(message(overrides));
    expect(answer).toEqual({ status: 400, body: twilioError(400, code) });
    expect(fake.messages).toHaveLength(0);
  });

  it('names the parameter a generic refusal is about', async () => {
    const answer = await post(message({ ContentRetention: 'forever' }));
    expect(answer.body.message).toContain('ContentRetention');
  });

  it('accepts the documented edges: ValidityPeriod 1 and 36000, an http StatusCallback, a Messaging Service alone', async () => {
    for (const form of [
      message({ ValidityPeriod: '1' }),
      message({ ValidityPeriod: '36000', StatusCallback: 'http://hooks.example.com/s?akDeliveryKey=k1' }),
      message({ From: undefined, MessagingServiceSid: `MG${'ab'.repeat(16)}` }),
    ])
      expect((await post(form)).status).toBe(201);
    fake.messages.length = 0;
  });

  it('the security scheme: no Basic credentials or a wrong token → 401 / 20003', async () => {
    expect(await post(message({}), { authorization: '' })).toEqual({ status: 401, body: twilioError(401, 20003) });
    expect(await post(message({}), { authorization: `Bearer ${TOKEN}` })).toEqual({ status: 401, body: twilioError(401, 20003) });
    expect(await post(message({}), { authorization: basic(ACCOUNT, 'wrong') })).toEqual({ status: 401, body: twilioError(401, 20003) });
  });

  it('an undocumented resource → 404 / 20404', async () => {
    const response = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, {
      headers: { authorization: basic(ACCOUNT, TOKEN) },
    });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 404, body: twilioError(404, 20404) });
  });

  it('the AccountSid path pattern (^AC + 32 hex): another form is not a resource → 404 / 20404', async () => {
    expect(await post(message({}), { account: 'ACshort', authorization: basic('ACshort', 'short-token') })).toEqual({
      status: 404,
      body: twilioError(404, 20404),
    });
  });

  it('answers 429 / 20429 past its concurrency limit (Twilio documents no rate-limit headers)', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const limited = await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN }, concurrency: 1, hold: () => held });
    try {
      const first = post(message({}), { url: limited.url });
      while (limited.server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
      const second = await post(message({}), { url: limited.url });
      expect(second).toEqual({ status: 429, body: twilioError(429, 20429) });
      release();
      expect((await first).status).toBe(201);
    } finally {
      release();
      await limited.stop();
    }
  });
});
