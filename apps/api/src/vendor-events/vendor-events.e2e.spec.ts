import { createServer } from 'node:net';
import { SyncService } from '@audiencekit/activation-engine';
import { sendgridEmail } from '@audiencekit/plugin-sendgrid';
import {
  eventAbout,
  generateEventWebhookKeys,
  postEventWebhook,
  SendgridFake,
  startSendgridFake,
} from '@audiencekit/plugin-sendgrid/testing';
import { twilioSms } from '@audiencekit/plugin-twilio';
import {
  incomingMessageParams,
  postStatusCallback,
  postTwilioWebhook,
  startTwilioFake,
  TwilioFake,
} from '@audiencekit/plugin-twilio/testing';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../activations/__tests__/activations-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

const TWILIO_ACCOUNT = `AC${'b2'.repeat(16)}`;
const TWILIO_TOKEN = 'vendor-events-e2e-auth-token';
const TWILIO_KEY = `SK${'c3'.repeat(16)}`;
const TWILIO_KEY_SECRET = 'vendor-events-e2e-key-secret';
const OUR_NUMBER = '+15005550006';
const PEOPLE = ['ann', 'bob', 'cat', 'dan'] as const;
type Person = (typeof PEOPLE)[number];
const phoneOf = (person: Person) => `+1415555010${PEOPLE.indexOf(person)}`;
const emailOf = (person: Person) => `${person}@example.com`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The vendors' answers back in (issue #22), end to end on a real Postgres and real HTTP: the real
 * connectors send through the fakes, the fakes post signed callbacks (SendGrid's ECDSA Event
 * Webhook, Twilio's HMAC-SHA1 status callbacks and replies) to the API, and the events, segments
 * and suppressions that follow are read back. Badly signed and replayed posts change nothing.
 */
describe('vendor events in (SendGrid Event Webhook, Twilio callbacks and STOP/START)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let sendgrid: SendgridFake;
  let twilio: TwilioFake;
  let admin: string;
  let writeKey: string;
  let segmentId: string;
  const profile = {} as Record<Person, string>;
  const keys = generateEventWebhookKeys();
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const as = (method: string, path: string, body?: unknown) => callApi(api.baseUrl, admin, method, path, body);

  const eventsOf = (person: Person, name: string) =>
    query(`SELECT message_id, properties FROM events WHERE profile_id = $1 AND name = $2 ORDER BY id`, [profile[person], name]);
  const suppressed = async (type: string, value: string, channel: string) =>
    (
      await query(`SELECT reason FROM suppressions WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3`, [
        type,
        value,
        channel,
      ])
    )[0]?.reason ?? null;

  /** A send activation of the segment to the destination, synced now; answers what the fake got. */
  const sendNow = async (destinationId: string, message: Record<string, unknown>, name: string) => {
    const [{ id: activationId }] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule, message)
       VALUES ($1, $2, $3, 'send', 0, $1, 'manual', $4) RETURNING id`,
      [name, segmentId, destinationId, JSON.stringify(message)],
    );
    const requested = await as('POST', `/activations/${activationId}/sync`, {});
    expect(requested.status).toBe(202);
    await api.app.get(SyncService).execute(requested.body.id);
    return activationId as string;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sendgrid = await startSendgridFake();
    twilio = await startTwilioFake({
      accounts: { [TWILIO_ACCOUNT]: TWILIO_TOKEN },
      apiKeys: { [TWILIO_KEY]: { secret: TWILIO_KEY_SECRET, accountSid: TWILIO_ACCOUNT } },
    });
    const port = await freePort();
    api = await startActivationsTestApi(db.url, {
      connectors: [sendgridEmail, twilioSms],
      port,
      env: {
        AK_CONNECTOR_BASE_URLS: `sendgrid-email=${sendgrid.url},twilio=${twilio.url}`,
        AK_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        AK_MASS_SEND_THRESHOLD: '1000',
      },
    });
    admin = (await api.app.get(ApiKeyService).create('ops', 'admin')).secret;
    writeKey = await createWriteKey(api, 'server');
    for (const person of PEOPLE) {
      const response = await fetch(`${api.baseUrl}/v1/identify`, {
        method: 'POST',
        headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `u-${person}`, traits: { email: emailOf(person), phone: phoneOf(person), first_name: person } }),
      });
      expect(response.status).toBe(200);
      profile[person] = (
        await query(`SELECT profile_id FROM identities WHERE type = 'user_id' AND value = $1`, [`u-${person}`])
      )[0].profile_id;
    }
    [{ id: segmentId }] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ('everyone', 'Everyone', 'test', 'manual', 1) RETURNING id`,
    );
    await query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
      [segmentId, Object.values(profile)],
    );
  });

  afterAll(async () => {
    await api?.close();
    await sendgrid?.stop();
    await twilio?.stop();
    await db?.drop();
  });

  describe('SendGrid Event Webhook', () => {
    let destinationId: string;
    let url: string;
    const mailTo = (person: Person) => {
      const mail = sendgrid.mails.find((candidate) => candidate.to === emailOf(person));
      if (!mail) throw new Error(`no mail to ${person}`);
      return mail;
    };

    beforeAll(async () => {
      const created = await as('POST', '/destinations', {
        name: 'mail',
        connector: 'sendgrid-email',
        settings: { fromEmail: 'news@example.com', eventWebhookPublicKey: keys.publicKey },
        secrets: { apiKey: 'SG.vendor-events-e2e' },
      });
      expect(created.status).toBe(201);
      destinationId = created.body.id;
      url = `${api.baseUrl}/v1/vendor-events/sendgrid-email/${destinationId}`;
      await sendNow(destinationId, { subject: 'Hello {{first_name}}', text: 'Hi' }, 'mail-1');
      expect(sendgrid.mails.map((mail) => mail.to).sort()).toEqual(PEOPLE.map(emailOf));
    });

    it('GET /destinations/:id/callback-urls names the URL to paste into SendGrid (viewer+)', async () => {
      expect(await as('GET', `/destinations/${destinationId}/callback-urls`)).toMatchObject({
        status: 200,
        body: { connector: 'sendgrid-email', publicBaseUrl: api.baseUrl, urls: [{ name: 'Event Webhook', url }] },
      });
      const viewer = (await api.app.get(ApiKeyService).create('reader', 'viewer')).secret;
      expect((await callApi(api.baseUrl, viewer, 'GET', `/destinations/${destinationId}/callback-urls`)).status).toBe(200);
      expect((await fetch(`${api.baseUrl}/destinations/${destinationId}/callback-urls`)).status).toBe(401);
    });

    it('refuses a key that is not a P-256 public key at save, naming the setting', async () => {
      const refused = await as('POST', '/destinations', {
        name: 'bad key',
        connector: 'sendgrid-email',
        settings: { fromEmail: 'news@example.com', eventWebhookPublicKey: 'bm90IGEga2V5' },
        secrets: { apiKey: 'SG.vendor-events-e2e' },
      });
      expect(refused).toMatchObject({
        status: 400,
        body: { details: [expect.objectContaining({ path: 'settings.eventWebhookPublicKey' })] },
      });
    });

    it('badly signed, unsigned, tampered or stale posts are 401 and store nothing', async () => {
      const events = [eventAbout(mailTo('ann'), 'click')];
      const forger = generateEventWebhookKeys();
      const answers = [
        await postEventWebhook(url, events, keys, { unsigned: true }),
        await postEventWebhook(url, events, keys, { signWith: forger.privateKey }),
        await postEventWebhook(url, events, keys, { tamper: (body) => body.replace('ann@', 'bob@') }),
        await postEventWebhook(url, events, keys, { timestamp: Math.floor(Date.now() / 1000) - 3_600 }),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401]);
      expect(JSON.parse(answers[3].text)).toMatchObject({ code: 'stale_signature' });
      expect(await query(`SELECT 1 FROM events WHERE name LIKE 'Email %'`)).toEqual([]);
    });

    it('a signed body that is not a JSON array of events is 400 naming the field, nothing stored', async () => {
      const notArray = await postEventWebhook(url, [], keys, { rawBody: '{"event":"click"}' });
      expect(notArray.status).toBe(400);
      expect(JSON.parse(notArray.text)).toMatchObject({ code: 'invalid_vendor_body', details: [{ path: 'body' }] });
      const missing = await postEventWebhook(
        url,
        [eventAbout(mailTo('ann'), 'open'), { ...eventAbout(mailTo('bob'), 'open'), sg_event_id: undefined }],
        keys,
      );
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.text).details).toEqual([{ path: 'body[1].sg_event_id', message: expect.any(String) }]);
      expect(await query(`SELECT 1 FROM events WHERE name LIKE 'Email %'`)).toEqual([]);
      const unknown = await fetch(`${api.baseUrl}/v1/vendor-events/sendgrid-email/00000000-0000-4000-8000-000000000000`, {
        method: 'POST',
        body: '[]',
      });
      expect(unknown.status).toBe(404);
    });

    it('signed events land on the right profiles once (a retry is a duplicate); bounce and unsubscribe suppress the address', async () => {
      const events = [
        eventAbout(mailTo('ann'), 'processed'),
        eventAbout(mailTo('ann'), 'delivered'),
        eventAbout(mailTo('ann'), 'click'),
        eventAbout(mailTo('bob'), 'delivered'),
        eventAbout(mailTo('cat'), 'bounce'),
        eventAbout(mailTo('dan'), 'delivered'),
        eventAbout(mailTo('dan'), 'unsubscribe'),
      ];
      const first = await postEventWebhook(url, events, keys);
      expect(first.status).toBe(200);
      expect(JSON.parse(first.text)).toEqual({ stored: 6, duplicates: 0, unmatched: 0, ignored: 1, suppressed: 2, lifted: 0 });
      const retry = await postEventWebhook(url, events, keys);
      expect(JSON.parse(retry.text)).toMatchObject({ stored: 0, duplicates: 6, suppressed: 0 });

      const clicked = await eventsOf('ann', 'Email Clicked');
      expect(clicked).toEqual([
        {
          message_id: `sendgrid:${events[2]['sg_event_id']}`,
          properties: expect.objectContaining({ url: 'https://example.com/offer', destinationId, sendgridEvent: 'click' }),
        },
      ]);
      expect(await eventsOf('ann', 'Email Delivered')).toHaveLength(1);
      expect(await eventsOf('bob', 'Email Delivered')).toHaveLength(1);
      expect(await eventsOf('cat', 'Email Bounced')).toHaveLength(1);
      expect(await eventsOf('dan', 'Email Unsubscribed')).toHaveLength(1);
      expect(await query(`SELECT 1 FROM events WHERE name = 'Email Clicked'`)).toHaveLength(1);
      // durable and stitched: no profile or identity made by the webhook
      expect((await query(`SELECT count(*)::int AS n FROM profiles`))[0].n).toBe(PEOPLE.length);

      expect(await suppressed('email', emailOf('cat'), 'email')).toMatch(/^sendgrid bounce/);
      expect(await suppressed('email', emailOf('dan'), 'email')).toMatch(/^sendgrid unsubscribe/);
      expect(await suppressed('email', emailOf('ann'), 'email')).toBeNull();
    });

    it('the segment "clicked an email in the last 7 days" has the clicker', async () => {
      const preview = await as('POST', '/segments/preview', {
        definition: { type: 'rules', match: { type: 'event', event: 'Email Clicked', window: 'last 7 days' } },
      });
      expect(preview).toMatchObject({ status: 200, body: { size: 1, sample: [profile.ann] } });
    });

    it('an event without our delivery key falls back to the address; an unknown address is unmatched, no profile made', async () => {
      const { ak_delivery_key: _key, ...withoutKey } = eventAbout(mailTo('bob'), 'open');
      const stranger = { ...eventAbout(mailTo('bob'), 'open'), email: 'stranger@example.com', ak_delivery_key: undefined };
      const answer = await postEventWebhook(url, [withoutKey, stranger], keys);
      expect(JSON.parse(answer.text)).toMatchObject({ stored: 1, unmatched: 1 });
      expect(await eventsOf('bob', 'Email Opened')).toHaveLength(1);
      expect(await query(`SELECT 1 FROM identities WHERE value = 'stranger@example.com'`)).toEqual([]);
    });

    it("matches by our delivery key first: an event for an address the profile no longer holds lands on the key's profile", async () => {
      const moved: Record<string, unknown> = { ...eventAbout(mailTo('ann'), 'open'), email: 'ann.old@example.com' };
      const foreignKey = {
        ...eventAbout(mailTo('bob'), 'open'),
        email: 'nobody@example.com',
        ak_delivery_key: `00000000-0000-4000-8000-000000000000:${profile.bob}`,
      };
      const answer = await postEventWebhook(url, [moved, foreignKey], keys);
      // a key naming an activation of another destination is not ours: that event falls back to the (unknown) address
      expect(JSON.parse(answer.text)).toMatchObject({ stored: 1, unmatched: 1 });
      expect(await eventsOf('ann', 'Email Opened')).toEqual([
        { message_id: `sendgrid:${moved['sg_event_id']}`, properties: expect.any(Object) },
      ]);
    });

    it('the next send skips the bounced and unsubscribed addresses', async () => {
      const before = sendgrid.mails.length;
      await sendNow(destinationId, { subject: 'Again', text: 'Hi' }, 'mail-2');
      expect(
        sendgrid.mails
          .slice(before)
          .map((mail) => mail.to)
          .sort(),
      ).toEqual([emailOf('ann'), emailOf('bob')]);
    });

    it('a spam report is an event and suppresses the address; a dropped mail is an event only', async () => {
      const events = [eventAbout(mailTo('bob'), 'spamreport'), eventAbout(mailTo('ann'), 'dropped')];
      const answer = await postEventWebhook(url, events, keys);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ stored: 2, unmatched: 0, suppressed: 1 });
      expect(await eventsOf('bob', 'Email Marked as Spam')).toHaveLength(1);
      expect(await eventsOf('ann', 'Email Dropped')).toEqual([
        { message_id: `sendgrid:${events[1]['sg_event_id']}`, properties: expect.objectContaining({ reason: 'Bounced Address' }) },
      ]);
      expect(await suppressed('email', emailOf('bob'), 'email')).toMatch(/^sendgrid spamreport/);
      expect(await suppressed('email', emailOf('ann'), 'email')).toBeNull();
    });
  });

  describe('Twilio status callbacks and replies', () => {
    let destinationId: string;
    let inbound: string;
    const messageTo = (person: Person, from = 0) => {
      const message = twilio.messages.slice(from).find((candidate) => candidate.to === phoneOf(person));
      if (!message) throw new Error(`no SMS to ${person}`);
      return message;
    };
    const reply = (person: Person, body: string, token = TWILIO_TOKEN) =>
      postTwilioWebhook(inbound, incomingMessageParams({ accountSid: TWILIO_ACCOUNT, from: phoneOf(person), to: OUR_NUMBER, body }), token);

    beforeAll(async () => {
      const created = await as('POST', '/destinations', {
        name: 'sms',
        connector: 'twilio',
        settings: { accountSid: TWILIO_ACCOUNT, from: OUR_NUMBER, messagesPerSecond: 100 },
        secrets: { authToken: TWILIO_TOKEN },
      });
      expect(created.status).toBe(201);
      destinationId = created.body.id;
      inbound = `${api.baseUrl}/v1/vendor-events/twilio/${destinationId}/inbound`;
      await sendNow(destinationId, { text: 'Hi {{first_name}}' }, 'sms-1');
      expect(twilio.messages.map((message) => message.to).sort()).toEqual(PEOPLE.map(phoneOf).sort());
    });

    it('GET /destinations/:id/callback-urls names the status and incoming-message URLs', async () => {
      const answer = await as('GET', `/destinations/${destinationId}/callback-urls`);
      expect(answer.body.urls.map((item: { name: string; url: string }) => [item.name, item.url])).toEqual([
        ['Status callback', `${api.baseUrl}/v1/vendor-events/twilio/${destinationId}/status`],
        ['Incoming messages', inbound],
      ]);
    });

    it('the connector sends a status callback to our route with the delivery key', () => {
      const callback = new URL(messageTo('ann').statusCallback ?? '');
      expect(`${callback.origin}${callback.pathname}`).toBe(`${api.baseUrl}/v1/vendor-events/twilio/${destinationId}/status`);
      expect(callback.searchParams.get('akDeliveryKey')).toMatch(new RegExp(`:${profile.ann}$`));
    });

    it('a signed status callback becomes an event on the profile (once), answered with empty TwiML', async () => {
      const delivered = await postStatusCallback(messageTo('ann'), 'delivered', TWILIO_TOKEN);
      expect(delivered).toEqual({
        status: 200,
        contentType: expect.stringMatching(/^text\/xml/),
        text: expect.stringContaining('<Response/>'),
      });
      const failed = await postStatusCallback(messageTo('bob'), 'undelivered', TWILIO_TOKEN, { errorCode: '30003' });
      expect(failed.status).toBe(200);
      expect((await postStatusCallback(messageTo('ann'), 'delivered', TWILIO_TOKEN)).status).toBe(200);
      expect(await eventsOf('ann', 'SMS Delivered')).toEqual([
        {
          message_id: `twilio:${destinationId}:${messageTo('ann').sid}:delivered`,
          properties: expect.objectContaining({ status: 'delivered', destinationId }),
        },
      ]);
      expect(await eventsOf('bob', 'SMS Undelivered')).toEqual([
        { message_id: expect.any(String), properties: expect.objectContaining({ errorCode: '30003' }) },
      ]);
    });

    it('a bad, missing or wrong-URL signature is 401 and stores nothing', async () => {
      const answers = [
        await postStatusCallback(messageTo('cat'), 'delivered', TWILIO_TOKEN, { signWith: 'not-the-token' }),
        await postStatusCallback(messageTo('cat'), 'delivered', TWILIO_TOKEN, { unsigned: true }),
        await postStatusCallback(messageTo('cat'), 'delivered', TWILIO_TOKEN, {
          signedUrl: `https://elsewhere.example.com/v1/vendor-events/twilio/${destinationId}/status`,
        }),
        await reply('cat', 'STOP', 'not-the-token'),
      ];
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401]);
      expect(await eventsOf('cat', 'SMS Delivered')).toEqual([]);
      expect(await suppressed('phone', phoneOf('cat'), 'sms')).toBeNull();
    });

    it('STOP suppresses the number for sms and the next send skips it; START lifts it and the person is sent again', async () => {
      expect((await reply('cat', ' stop ')).status).toBe(200);
      expect(await suppressed('phone', phoneOf('cat'), 'sms')).toMatch(/^twilio inbound STOP/);
      expect(await eventsOf('cat', 'SMS Opted Out')).toHaveLength(1);
      let from = twilio.messages.length;
      await sendNow(destinationId, { text: 'Second' }, 'sms-2');
      expect(
        twilio.messages
          .slice(from)
          .map((message) => message.to)
          .sort(),
      ).toEqual(['ann', 'bob', 'dan'].map((p) => phoneOf(p as Person)).sort());

      expect((await reply('cat', 'START')).status).toBe(200);
      expect(await suppressed('phone', phoneOf('cat'), 'sms')).toBeNull();
      expect(await query(`SELECT details->>'suppressedFor' AS was FROM audit_log WHERE action = 'suppression.removed'`)).toEqual([
        { was: expect.stringMatching(/^twilio inbound STOP/) },
      ]);
      from = twilio.messages.length;
      await sendNow(destinationId, { text: 'Third' }, 'sms-3');
      expect(messageTo('cat', from).body).toBe('Third');
    });

    it("START does not lift an admin's suppression", async () => {
      const added = await as('POST', '/suppressions', {
        identifierType: 'phone',
        value: phoneOf('dan'),
        channel: 'sms',
        reason: 'asked by phone',
      });
      expect(added.status).toBeLessThan(300);
      expect((await reply('dan', 'UNSTOP')).status).toBe(200);
      expect(await suppressed('phone', phoneOf('dan'), 'sms')).toBe('asked by phone');
      expect(await eventsOf('dan', 'SMS Opted In')).toHaveLength(1);
    });

    it('a destination that calls with an API key verifies callbacks with the Auth Token kept beside it', async () => {
      const created = await as('POST', '/destinations', {
        name: 'sms with an API key',
        connector: 'twilio',
        settings: { accountSid: TWILIO_ACCOUNT, from: OUR_NUMBER, messagesPerSecond: 100 },
        secrets: { apiKeySid: TWILIO_KEY, apiKeySecret: TWILIO_KEY_SECRET, authToken: TWILIO_TOKEN },
      });
      expect(created.status).toBe(201);
      const keyed: string = created.body.id;
      const from = twilio.messages.length;
      await sendNow(keyed, { text: 'Keyed' }, 'sms-keyed');
      const message = messageTo('ann', from);
      const sent = twilio.server.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/Messages.json')).at(-1);
      expect(sent?.headers.authorization).toBe(`Basic ${Buffer.from(`${TWILIO_KEY}:${TWILIO_KEY_SECRET}`).toString('base64')}`);
      expect((await postStatusCallback(message, 'delivered', TWILIO_TOKEN)).status).toBe(200);
      expect(await eventsOf('ann', 'SMS Delivered')).toContainEqual({
        message_id: `twilio:${keyed}:${message.sid}:delivered`,
        properties: expect.objectContaining({ destinationId: keyed }),
      });
      expect((await postStatusCallback(message, 'sent', TWILIO_KEY_SECRET)).status).toBe(401);
    });
  });
});
