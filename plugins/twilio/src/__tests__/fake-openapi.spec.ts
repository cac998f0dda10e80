import { OpenApiRequestValidator } from '@audiencekit/connector-sdk/testing';
import twilio from 'twilio';
import { startTwilioFake, TwilioFake } from '../fake/twilio-fake';
import { TWILIO_SPEC_DOCUMENTS } from '../fake/twilio-spec';
import created from './fixtures/message-created.example.json';

/** The fake against twilio-oai: a created message has the documented fields and types; errors have the SDK's RestException fields. */
const ACCOUNT = `AC${'e5'.repeat(16)}`;

describe('twilio fake vs the OpenAPI file', () => {
  let fake: TwilioFake;
  beforeAll(async () => {
    fake = await startTwilioFake({ accounts: { [ACCOUNT]: 'token' } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const post = (form: Record<string, string>, token = 'token') =>
    fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ACCOUNT}:${token}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });

  it('answers a create with the fields and value types of the documented 201 example', async () => {
    const response = await post({ To: '+14155550100', From: '+15005550006', Body: 'Hello!' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    const documented = created.example as Record<string, unknown>;
    for (const [key, value] of Object.entries(body)) {
      expect(Object.keys(documented)).toContain(key);
      if (documented[key] !== null && value !== null) expect(typeof value).toBe(typeof documented[key]);
    }
    expect(String(body.sid)).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('answers the account fetch and a create with the response schemas of twilio-oai (FetchAccount 200, CreateMessage 201)', async () => {
    const spec = new OpenApiRequestValidator(TWILIO_SPEC_DOCUMENTS);
    const account = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT}.json`, {
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:token`).toString('base64')}` },
    });
    expect(
      spec.validateResponse({ method: 'GET', path: `/2010-04-01/Accounts/${ACCOUNT}.json` }, account.status, await account.json()),
    ).toEqual([]);
    const path = `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;
    for (const form of <Record<string, string>[]>[
      { To: '+14155550100', From: '+15005550006', Body: 'Hello!' },
      { To: '+14155550100', MessagingServiceSid: `MG${'ab'.repeat(16)}`, Body: 'Hi', StatusCallback: 'https://hooks.example.com/s' },
    ]) {
      const response = await post(form);
      expect(spec.validateResponse({ method: 'POST', path }, response.status, await response.json())).toEqual([]);
    }
  });

  it('refuses with the error body the SDK reads (code, message, more_info, status)', async () => {
    const response = await post({ To: '+15005550001', From: '+15005550006', Body: 'x' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { more_info: string };
    expect(body).toEqual({ code: 21211, message: expect.any(String), more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
    const exception = new twilio.RestException({ statusCode: 400, body: JSON.stringify(body) } as never);
    expect([exception.status, exception.code, exception.moreInfo]).toEqual([400, 21211, body.more_info]);
  });
});
