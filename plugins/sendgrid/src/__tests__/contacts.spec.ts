import { InvalidCredentialsError, PayloadValidationError, RetryableError } from '@audiencekit/connector-sdk';
import { describeConnectorContract, testContext, testMember, testMembers } from '@audiencekit/connector-sdk/testing';
import { z } from 'zod';
import { MAX_REQUEST_BYTES } from '../contacts/contact-batches';
import { sendgridContactsConnector } from '../contacts/contacts-connector';
import { SendgridFake, startSendgridFake } from '../fake/sendgrid-fake';
import { rateLimitWaitMs } from '../sendgrid-client';
import putContactsSchema from './fixtures/put-contacts.schema.json';
import { requiredMethods } from './required-methods';

// Short poll delays: the fake finishes a job after one `pending` answer.
const connector = requiredMethods(
  sendgridContactsConnector({ poll: { delaysMs: [5], maxWaitMs: 5_000 } }),
  'ensureAudience',
  'upsert',
  'remove',
  'audienceSize',
);
const secrets = { apiKey: 'SG.test-key-contacts' };
const settings = { customFields: { plan: 'e1_T', 'stats.orders': 'e2_N' } };
const putBody = z.fromJSONSchema(putContactsSchema.schema as never);

describe('sendgrid contacts connector (list model)', () => {
  let fake: SendgridFake;

  beforeEach(async () => {
    fake = await startSendgridFake();
  });
  afterEach(async () => {
    await fake.stop();
  });

  const context = (overrides: { apiKey?: string; audience?: string } = {}) =>
    testContext(connector, {
      settings,
      secrets: { apiKey: overrides.apiKey ?? secrets.apiKey },
      baseUrl: fake.url,
      audience: overrides.audience ? { externalId: overrides.audience } : undefined,
    });

  const withList = async () => {
    const { externalId } = await connector.ensureAudience(context(), { name: 'audiencekit: VIPs', activationId: 'act-1' });
    return context({ audience: externalId });
  };

  describe('testConnection', () => {
    it('passes with a key the vendor accepts, through GET /v3/scopes', async () => {
      await expect(connector.testConnection(context())).resolves.toBeUndefined();
      expect(fake.server.requestsTo('GET /v3/scopes')).toHaveLength(1);
      expect(fake.server.requests[0].headers.authorization).toBe(`Bearer ${secrets.apiKey}`);
    });

    it('throws InvalidCredentialsError for a refused key', async () => {
      const strict = await startSendgridFake({ apiKeys: ['SG.the-only-key'] });
      try {
        const ctx = testContext(connector, { settings, secrets: { apiKey: 'SG.wrong' }, baseUrl: strict.url });
        await expect(connector.testConnection(ctx)).rejects.toBeInstanceOf(InvalidCredentialsError);
      } finally {
        await strict.stop();
      }
    });
  });

  describe('ensureAudience', () => {
    it('creates the list once and finds it by name afterwards, across pages', async () => {
      const paged = await startSendgridFake({ maxPageSize: 2 });
      try {
        const ctx = testContext(connector, { settings, secrets, baseUrl: paged.url });
        for (const name of ['a', 'b', 'c']) await connector.ensureAudience(ctx, { name, activationId: name });
        const first = await connector.ensureAudience(ctx, { name: 'audiencekit: VIPs', activationId: 'act-1' });
        const again = await connector.ensureAudience(ctx, { name: 'audiencekit: VIPs', activationId: 'act-1' });
        expect(again.externalId).toBe(first.externalId);
        expect(paged.server.requestsTo('POST /v3/marketing/lists')).toHaveLength(4);
        expect(paged.lists.size).toBe(4);
        // The last lookup had to follow `_metadata.next` to the third page.
        expect(paged.server.requestsTo('GET /v3/marketing/lists').some((request) => request.query.page_token === '2')).toBe(true);
      } finally {
        await paged.stop();
      }
    });
  });

  describe('upsert', () => {
    it('puts contacts on the list with names and custom fields by field id, and polls the import job', async () => {
      const ctx = await withList();
      const members = [
        testMember({
          profileId: 'p1',
          email: 'ada@example.com',
          traits: { first_name: 'Ada', last_name: 'Lovelace', plan: 'pro', stats: { orders: 7 } },
        }),
        testMember({ profileId: 'p2', email: 'bob@example.com', traits: { first_name: 'Bob' } }),
      ];
      const outcomes = await connector.upsert(ctx, members);

      expect(outcomes.map((outcome) => [outcome.profileId, outcome.status])).toEqual([
        ['p1', 'delivered'],
        ['p2', 'delivered'],
      ]);
      const [put] = fake.server.requestsTo('PUT /v3/marketing/contacts');
      expect(put.body).toEqual({
        list_ids: [listOf(ctx)],
        contacts: [
          { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', custom_fields: { e1_T: 'pro', e2_N: 7 } },
          { email: 'bob@example.com', first_name: 'Bob' },
        ],
      });
      expect(putBody.safeParse(put.body).error?.issues).toBeUndefined();
      expect(fake.server.requestsTo('GET /v3/marketing/contacts/imports/:id').length).toBeGreaterThanOrEqual(2);
      expect(fake.contacts.get('ada@example.com')?.list_ids).toEqual([listOf(ctx)]);
      await expect(connector.audienceSize(ctx)).resolves.toBe(2);
    });

    it('maps an errored import job to per-member outcomes (the failed contact is rejected, the rest delivered)', async () => {
      const ctx = await withList();
      const members = [
        testMember({ profileId: 'good-1', email: 'good1@example.com' }),
        testMember({ profileId: 'bad', email: 'not-an-address' }),
        testMember({ profileId: 'good-2', email: 'good2@example.com' }),
      ];
      const outcomes = await connector.upsert(ctx, members);

      const byId = Object.fromEntries(outcomes.map((outcome) => [outcome.profileId, outcome]));
      expect(byId['good-1'].status).toBe('delivered');
      expect(byId['good-2'].status).toBe('delivered');
      expect(byId.bad).toMatchObject({ status: 'rejected', code: 'import_errored' });
      expect(fake.server.requestsTo('POST /v3/marketing/contacts/search/emails')).toHaveLength(1);
      expect(ctx.logger.lines.some((line) => line.level === 'warn' && line.message.includes('errors'))).toBe(true);
    });

    it('rejects every member of a failed import job', async () => {
      const ctx = await withList();
      const outcomes = await connector.upsert(ctx, [
        testMember({ profileId: 'x', email: 'nope' }),
        testMember({ profileId: 'y', email: 'also-nope' }),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      expect(outcomes[0]).toMatchObject({ code: 'import_failed' });
    });

    it('counts a job still pending when the wait runs out as accepted, and says so in the log', async () => {
      const slow = await startSendgridFake({ pendingPolls: 1_000 });
      try {
        const impatient = requiredMethods(
          sendgridContactsConnector({ poll: { delaysMs: [5], maxWaitMs: 40 } }),
          'ensureAudience',
          'upsert',
        );
        const base = testContext(impatient, { settings, secrets, baseUrl: slow.url });
        const { externalId } = await impatient.ensureAudience(base, { name: 'l', activationId: 'a' });
        const ctx = { ...base, audience: { externalId } };
        const outcomes = await impatient.upsert(ctx, testMembers(2));
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered']);
        expect(base.logger.lines.some((line) => line.message.includes('still pending'))).toBe(true);
      } finally {
        await slow.stop();
      }
    });

    it('surfaces a 429 as RetryableError waiting until X-RateLimit-Reset', async () => {
      const ctx = await withList();
      const reset = Math.floor(Date.now() / 1000) + 30;
      fake.server.fault({
        match: 'PUT /v3/marketing/contacts',
        times: 1,
        respond: {
          status: 429,
          headers: { 'X-RateLimit-Limit': '150', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(reset) },
          body: { errors: [{ field: null, message: 'too many requests' }] },
        },
      });
      const error = await connector.upsert(ctx, testMembers(2)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).retryAfterMs).toBeGreaterThan(25_000);
      expect((error as RetryableError).retryAfterMs).toBeLessThanOrEqual(30_000);
    });

    it('surfaces a 5xx as RetryableError, and the same call succeeds once the vendor recovers', async () => {
      const ctx = await withList();
      fake.server.fault({
        match: 'PUT /v3/marketing/contacts',
        times: 1,
        respond: { status: 503, body: { errors: [{ message: 'internal server error' }] } },
      });
      const members = testMembers(3);
      await expect(connector.upsert(ctx, members)).rejects.toBeInstanceOf(RetryableError);
      const outcomes = await connector.upsert(ctx, members);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(fake.contacts.size).toBe(3);
    });

    it('rejects the contacts a 400 names and sends the others again', async () => {
      const ctx = await withList();
      fake.server.fault({
        match: 'PUT /v3/marketing/contacts',
        times: 1,
        respond: { status: 400, body: { errors: [{ field: 'contacts[1].email', message: 'email is invalid' }] } },
      });
      const members = testMembers(3);
      const outcomes = await connector.upsert(ctx, members);
      expect(outcomes.find((outcome) => outcome.profileId === 'profile-2')).toMatchObject({ status: 'rejected' });
      expect(outcomes.filter((outcome) => outcome.status === 'delivered')).toHaveLength(2);
      expect((fake.server.requestsTo('PUT /v3/marketing/contacts')[1].body as any).contacts.map((contact: any) => contact.email)).toEqual([
        'user1@example.com',
        'user3@example.com',
      ]);
    });

    it('fails the batch with PayloadValidationError when a 400 is about the whole request', async () => {
      const ctx = await withList();
      fake.server.fault({
        match: 'PUT /v3/marketing/contacts',
        times: 1,
        respond: { status: 400, body: { errors: [{ field: 'list_ids', message: 'invalid list id' }] } },
      });
      await expect(connector.upsert(ctx, testMembers(2))).rejects.toBeInstanceOf(PayloadValidationError);
    });

    it('splits at 30,000 contacts a request', async () => {
      const ctx = await withList();
      const members = testMembers(30_001, (index) => ({ profileId: `p${index}`, email: `u${index}@example.com` }));
      const outcomes = await connector.upsert(ctx, members);
      const puts = fake.server.requestsTo('PUT /v3/marketing/contacts');
      expect(puts.map((request) => (request.body as any).contacts.length)).toEqual([30_000, 1]);
      expect(outcomes).toHaveLength(30_001);
      expect(fake.contacts.size).toBe(30_001);
    }, 60_000);

    it('splits at 6 MB a request when contacts are large', async () => {
      const ctx = await withList();
      const bio = 'x'.repeat(1_000);
      const members = testMembers(7_000, (index) => ({
        profileId: `p${index}`,
        email: `u${index}@example.com`,
        traits: { plan: `${bio}${index}` },
      }));
      await connector.upsert(ctx, members);
      const puts = fake.server.requestsTo('PUT /v3/marketing/contacts');
      expect(puts.length).toBe(2);
      for (const put of puts) expect(Buffer.byteLength(put.rawBody)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
      expect(puts.reduce((sum, request) => sum + (request.body as any).contacts.length, 0)).toBe(7_000);
    }, 60_000);
  });

  describe('remove', () => {
    it('looks contacts up by e-mail and removes only those on the list', async () => {
      const ctx = await withList();
      const members = testMembers(3);
      await connector.upsert(ctx, members);
      const stranger = testMember({ profileId: 'stranger', email: 'stranger@example.com' });
      const outcomes = await connector.remove(ctx, [members[0], members[2], stranger]);

      expect(outcomes.map((outcome) => [outcome.profileId, outcome.status])).toEqual([
        ['profile-1', 'delivered'],
        ['profile-3', 'delivered'],
        ['stranger', 'delivered'],
      ]);
      const [removal] = fake.server.requestsTo('DELETE /v3/marketing/lists/:id/contacts');
      const removedIds = removal.query.contact_ids.split(',');
      expect(removedIds.sort()).toEqual([contactId(fake, 'user1@example.com'), contactId(fake, 'user3@example.com')].sort());
      await expect(connector.audienceSize(ctx)).resolves.toBe(1);
      expect(fake.contacts.get('user1@example.com')).toBeDefined(); // still a contact, just off the list
    });

    it('searches 100 addresses a request and sends no removal when nobody is on the list', async () => {
      const ctx = await withList();
      const outcomes = await connector.remove(ctx, testMembers(150));
      expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
      expect(
        fake.server.requestsTo('POST /v3/marketing/contacts/search/emails').map((request) => (request.body as any).emails.length),
      ).toEqual([100, 50]);
      expect(fake.server.requestsTo('DELETE /v3/marketing/lists/:id/contacts')).toHaveLength(0);
    });

    it('never sends Get Contacts by Emails an address it refuses (over 100 characters, invalid): the rest of the batch still goes', async () => {
      const ctx = await withList();
      const longEmail = `${'l'.repeat(95)}@example.com`; // a valid contact address (254 max), too long to search (100 max)
      const members = [testMember({ profileId: 'ada', email: 'ada@example.com' }), testMember({ profileId: 'long', email: longEmail })];
      await connector.upsert(ctx, members);
      const outcomes = await connector.remove(ctx, [...members, testMember({ profileId: 'odd', email: 'not-an-address' })]);

      expect(outcomes.map((outcome) => [outcome.profileId, outcome.status])).toEqual([
        ['ada', 'delivered'],
        ['long', 'rejected'],
        ['odd', 'delivered'],
      ]);
      expect(outcomes[1]).toMatchObject({ code: 'email_not_searchable' });
      const searched = fake.server
        .requestsTo('POST /v3/marketing/contacts/search/emails')
        .flatMap((request) => (request.body as any).emails);
      expect(searched).toEqual(['ada@example.com']);
      expect(fake.contacts.get('ada@example.com')?.list_ids).toEqual([]);
    });
  });

  it('reads the rate-limit wait from Retry-After first, then X-RateLimit-Reset', () => {
    const now = Date.parse('2026-12-01T09:00:00Z');
    expect(rateLimitWaitMs({ 'retry-after': '3', 'x-ratelimit-reset': String(now / 1000 + 60) }, now)).toBe(3_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 + 60) }, now)).toBe(60_000);
    expect(rateLimitWaitMs({}, now)).toBeUndefined();
  });
});

function listOf(ctx: { audience?: { externalId: string } }): string {
  if (!ctx.audience) throw new Error('no audience');
  return ctx.audience.externalId;
}

function contactId(fake: SendgridFake, email: string): string {
  const contact = fake.contacts.get(email);
  if (!contact) throw new Error(`${email} is not a contact`);
  return contact.id;
}

describeConnectorContract('sendgrid', {
  connector,
  startFake: async () => (await startSendgridFake()).server,
  settings,
  secrets,
  members: testMembers(5),
  faultMatch: 'PUT /v3/marketing/contacts',
});
