import {
  checkCapturedRequests,
  OpenApiDocument,
  OpenApiRequestValidator,
  testContext,
  testMember,
} from '@audiencekit/connector-sdk/testing';
import { startTwilioFake, TwilioFake } from '../fake/twilio-fake';
import { twilioSms } from '../twilio-connector';
import apiSpec from '../../spec/twilio_api_v2010.operations.json';

import sources from '../../spec/sources.json';
/**
 * Capture and validate: the connector runs every request type it has against the fake (account
 * fetch with an Auth Token and with an API key; Messages create with From, with a Messaging
 * Service, with StatusCallback and ValidityPeriod, and answered with errors), every request is
 * captured on the wire and checked afterwards against Twilio's own OpenAPI operations
 * (plugins/twilio/spec), read here with a validator of this spec's own. Every documented operation
 * the connector uses must be seen, with 0 violations.
 */
const ACCOUNT = `AC${'d4'.repeat(16)}`;
const TOKEN = 'capture-token';
const API_KEY = `SK${'e5'.repeat(16)}`;
const SERVICE = `MG${'f6'.repeat(16)}`;
const spec = new OpenApiRequestValidator([apiSpec] as unknown as OpenApiDocument[]);

describe('twilio connector: every request captured and valid against Twilio OpenAPI', () => {
  let fake: TwilioFake;
  beforeAll(async () => {
    fake = await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN }, apiKeys: { [API_KEY]: { secret: 'key-secret', accountSid: ACCOUNT } } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('runs every request type and the captured requests have 0 violations', async () => {
    if (!twilioSms.send) throw new Error('send is not implemented');
    const context = (settings: Record<string, unknown>, secrets: Record<string, unknown> = { authToken: TOKEN }) =>
      testContext(twilioSms, { settings: { accountSid: ACCOUNT, ...settings }, secrets, baseUrl: fake.url });
    const withFrom = context({
      from: '+15005550006',
      statusCallbackUrl: 'https://hooks.example.com/twilio/status?src=ak',
      validityPeriodSeconds: 36_000,
    });
    const withService = context(
      { messagingServiceSid: SERVICE, validityPeriodSeconds: 1 },
      { apiKeySid: API_KEY, apiKeySecret: 'key-secret' },
    );

    await twilioSms.testConnection(withFrom);
    await twilioSms.testConnection(withService);
    const members = [
      testMember({ profileId: 'ok', phone: '+14155550100', traits: { first_name: 'Ada' } }),
      testMember({ profileId: 'unreachable', phone: '+15005550002' }),
      testMember({ profileId: 'region', phone: '+15005550003' }),
      testMember({ profileId: 'stop', phone: '+15005550004' }),
    ];
    const outcomes = await twilioSms.send(withFrom, { members, message: { text: 'Hi {{first_name}} 👋' } });
    expect(Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome.status]))).toEqual({
      ok: 'delivered',
      unreachable: 'rejected',
      region: 'rejected',
      stop: 'rejected',
    });
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.code)).toEqual(
      expect.arrayContaining([expect.stringContaining('21612'), expect.stringContaining('21408'), expect.stringContaining('21610')]),
    );
    const viaService = await twilioSms.send(withService, { members: [members[0]], message: { text: 'Hello' } });
    expect(viaService.map((outcome) => outcome.status)).toEqual(['delivered']);

    const { seen, failures } = checkCapturedRequests(spec, fake.server.requests);
    expect(failures).toEqual([]);
    expect(Object.keys(seen).sort()).toEqual(spec.operationNames());
    const creates = fake.server
      .requestsTo('POST /2010-04-01/Accounts/:sid/Messages.json')
      .map((request) => request.body as Record<string, string>);
    expect(creates.map((form) => form.ValidityPeriod)).toEqual(['36000', '36000', '36000', '36000', '1']);
    expect(creates[0].StatusCallback).toMatch(/^https:\/\/hooks\.example\.com\/twilio\/status\?src=ak&akDeliveryKey=/);

    // The check is not vacuous: the same capture, with one constraint broken, is reported.
    const [sent] = fake.server.requestsTo('POST /2010-04-01/Accounts/:sid/Messages.json');
    const broken = { ...(sent.body as Record<string, string>), MessagingServiceSid: 'MG-not-a-sid' };
    const tampered = checkCapturedRequests(spec, [{ ...sent, body: broken, rawBody: new URLSearchParams(broken).toString() }]);
    expect(tampered.failures.flatMap((failure) => failure.violations.map((violation) => violation.field))).toEqual([
      'MessagingServiceSid',
      'MessagingServiceSid',
    ]);
  });

  it('checks against the files sources.json names: repository, path, commit and sha256 recorded in each extract', () => {
    const recorded = [apiSpec].map((document) => document['x-audiencekit-source']);
    expect(recorded.map(({ repository, path, commit, sha256, operations }) => ({ repository, path, commit, sha256, operations }))).toEqual(
      sources.sources.map(({ repository, path, commit, sha256, operations }) => ({ repository, path, commit, sha256, operations })),
    );
  });
});
