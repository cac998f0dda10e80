import { testContext, testMember } from '@audiencekit/connector-sdk/testing';
import { startTwilioFake, TwilioFake } from '../fake/twilio-fake';
import { twilioSms } from '../twilio-connector';

/** Computed and SQL traits (issue #20) in an SMS body: `{{computed.<key>}}` renders the member's value. */
describe('twilio: {{computed.<key>}} in the message body', () => {
  const ACCOUNT = `AC${'c7'.repeat(16)}`;
  const TOKEN = 'computed-token';
  let fake: TwilioFake;
  beforeAll(async () => {
    fake = await startTwilioFake({ accounts: { [ACCOUNT]: TOKEN } });
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('sends the rendered body through the fake, an absent value as empty text', async () => {
    if (!twilioSms.send) throw new Error('send is not implemented');
    const ctx = testContext(twilioSms, {
      settings: { accountSid: ACCOUNT, from: '+15005550006' },
      secrets: { authToken: TOKEN },
      baseUrl: fake.url,
    });
    const outcomes = await twilioSms.send(ctx, {
      members: [
        testMember({ profileId: 'a', phone: '+14155550100', traits: { first_name: 'Ada' }, computed: { points_90d: 340 } }),
        testMember({ profileId: 'b', phone: '+14155550101', traits: { first_name: 'Bob' }, computed: {} }),
      ],
      message: { text: '{{first_name}}: {{computed.points_90d}} points' },
    });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
    expect(fake.messages.map((message) => [message.to, message.body])).toEqual([
      ['+14155550100', 'Ada: 340 points'],
      ['+14155550101', 'Bob:  points'],
    ]);
  });
});
