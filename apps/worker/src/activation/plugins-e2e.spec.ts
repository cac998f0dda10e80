import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ActivationModule, SyncService } from '@audiencekit/activation-engine';
import type { FakeVendorServer, RecordedRequest } from '@audiencekit/connector-sdk/testing';
import { REGISTERED_CONNECTORS } from '@audiencekit/connector-registry';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { startGoogleFake } from '@audiencekit/plugin-google-ads/testing';
import { startMetaFake } from '@audiencekit/plugin-meta-ads/testing';
import { startSendgridFake } from '@audiencekit/plugin-sendgrid/testing';
import { MAGIC_BLOCKED_TO, startTwilioFake } from '@audiencekit/plugin-twilio/testing';
import { startWebhookReceiver } from '@audiencekit/plugin-webhook/testing';
import { ConfigModule, DatabaseModule, loadConfig, QueueModule, SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';

/**
 * Every registered plugin through the real engine (SyncService.execute) against its own fake
 * vendor server: a 40-member segment, a 25% activation holdout and a 10% global holdout. Each
 * treated member's identifier (raw for e-mail, SMS and webhook; SHA-256 for ads) reaches the fake
 * exactly once; no held-out member's identifier, raw or hashed, appears in any recorded request;
 * Twilio's STOP number (21610) lands in the suppressions and is not sent again; a mirror removes
 * members that left the segment. STYLE.md: a held-out member never produces an HTTP request.
 */
const MEMBERS = 40;
const ACTIVATION_SHARE = 0.25;
const GLOBAL_SALT = 'e2e-global';
const GLOBAL_SHARE = 0.1;
const TWILIO_ACCOUNT = `AC${'a1'.repeat(16)}`;
const TWILIO_TOKEN = 'twilio-e2e-token';
const WEBHOOK_SECRET = 'webhook-e2e-signing-secret';
const KEY_RING = `e2e:${randomBytes(32).toString('base64')}`;

interface Fake {
  server: FakeVendorServer;
  url: string;
  stop(): Promise<void>;
}

/** How one connector is exercised: its destination, its mode, what identifies a member at the vendor. */
interface Scenario {
  mode: 'mirror' | 'send';
  /** Which identifier of a member the vendor receives: its raw e-mail, raw phone, or hashed e-mail. */
  identifier: 'email' | 'phone' | 'hashedEmail';
  settings: (fake: Fake) => Record<string, unknown>;
  secrets: Record<string, unknown>;
  message?: Record<string, unknown>;
  start: () => Promise<Fake>;
  /** Mirror: whether the vendor-side list still holds a member (by its e-mail), read from the fake's state. */
  holds?: (fake: Fake, email: string, audienceId: string | null) => boolean;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const sha256b64 = (value: string) => createHash('sha256').update(value).digest('base64');

const SCENARIOS: Record<string, Scenario> = {
  sendgrid: {
    mode: 'mirror',
    identifier: 'email',
    settings: () => ({}),
    secrets: { apiKey: 'SG.e2e-contacts-key' },
    start: () => startSendgridFake(),
    holds: (fake, email, listId) =>
      [...(fake as Awaited<ReturnType<typeof startSendgridFake>>).contacts.values()].some(
        (contact) => contact.email === email && contact.list_ids.includes(listId ?? ''),
      ),
  },
  'sendgrid-email': {
    mode: 'send',
    identifier: 'email',
    settings: () => ({ fromEmail: 'news@example.com' }),
    secrets: { apiKey: 'SG.e2e-mail-key' },
    message: { subject: 'Hello', text: 'Hi {{first_name}}' },
    start: () => startSendgridFake(),
  },
  twilio: {
    mode: 'send',
    identifier: 'phone',
    // A short-code-like throughput so 40 messages take one call, not 40 seconds.
    settings: () => ({ accountSid: TWILIO_ACCOUNT, from: '+15005550006', messagesPerSecond: 100 }),
    secrets: { authToken: TWILIO_TOKEN },
    message: { text: 'Hi {{first_name}}' },
    start: () => startTwilioFake({ accounts: { [TWILIO_ACCOUNT]: TWILIO_TOKEN } }),
  },
  'meta-ads': {
    mode: 'mirror',
    identifier: 'hashedEmail',
    settings: () => ({ adAccountId: '1234567890' }),
    secrets: { accessToken: 'fake-meta-token' },
    start: () => startMetaFake(),
    holds: (fake, email) =>
      [...(fake as Awaited<ReturnType<typeof startMetaFake>>).audiences.values()].some((audience) =>
        audience.members.has(`EMAIL:${sha256(email)}`),
      ),
  },
  'google-ads': {
    mode: 'mirror',
    identifier: 'hashedEmail',
    settings: () => ({ operatingAccount: { accountId: '1234567890' }, productDestinationId: '555000111', acceptCustomerMatchTerms: true }),
    secrets: { accessToken: 'fake-google-token' },
    start: () => startGoogleFake(),
    holds: (fake, email) => (fake as Awaited<ReturnType<typeof startGoogleFake>>).members.has(`email:${sha256(email)}`),
  },
  webhook: {
    mode: 'mirror',
    identifier: 'email',
    settings: (fake) => ({ url: `${fake.url}/hooks/audiencekit` }),
    secrets: { signingSecret: WEBHOOK_SECRET },
    start: async () => {
      const server = await startWebhookReceiver({ signingSecret: WEBHOOK_SECRET });
      return { server, url: server.url, stop: () => server.stop() };
    },
    // Entered minus exited events: what a CRM fed by the hook would hold.
    holds: (fake, email) => {
      let held = false;
      for (const request of fake.server.requests) {
        const body = request.body as { type?: string; members?: { identifiers: Record<string, string> }[] };
        if (!body.members?.some((member) => member.identifiers['email'] === email)) continue;
        held = body.type === 'segment.entered';
      }
      return held;
    },
  },
};

/** Everything a request carried that could name a member: path, query, headers and body. */
function haystack(request: RecordedRequest): string {
  return [
    request.path,
    JSON.stringify(request.query),
    JSON.stringify(request.headers),
    request.rawBody,
    JSON.stringify(request.body ?? null),
  ].join('\n');
}

/** Where a vendor receives identifiers: the parsed body (form or JSON), else the raw one. */
function payloadOf(request: RecordedRequest): string {
  return `${request.path}?${JSON.stringify(request.query)}\n${request.body !== undefined ? JSON.stringify(request.body) : request.rawBody}`;
}

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

/** Every form a member's identifiers could take on the wire: raw, digits-only phone, SHA-256 in hex and base64. */
function formsOf(member: { email: string; phone: string }): string[] {
  const digits = member.phone.replace(/\D/g, '');
  const values = [member.email, member.phone, digits];
  return [...values, ...values.map(sha256), ...values.map(sha256b64), encodeURIComponent(member.email), encodeURIComponent(member.phone)];
}

describe('every registered plugin through the real engine, against its fake vendor', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let syncs: SyncService;
  const fakes = new Map<string, Fake>();
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const previousAllowList = process.env['AK_WEBHOOK_ALLOWED_HOSTS'];

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const [slug, scenario] of Object.entries(SCENARIOS)) fakes.set(slug, await scenario.start());
    // The webhook receiver listens on loopback: the server's allow-list names it (SSRF guard).
    process.env['AK_WEBHOOK_ALLOWED_HOSTS'] = '127.0.0.1,localhost';
    const config = loadConfig({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AK_SECRETS_KEYS: KEY_RING,
      AK_CONNECTOR_BASE_URLS: [...fakes].map(([slug, fake]) => `${slug}=${fake.url}`).join(','),
    });
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'audiencekit-plugins-e2e'),
        QueueModule.forRoot({ queues: [], role: 'producer' }),
        ActivationModule.forRoot({ connectors: REGISTERED_CONNECTORS, engine: { initialBackoffMs: 10, maxBackoffMs: 50 } }),
      ],
    })
    class PluginsE2eModule {}
    app = await NestFactory.createApplicationContext(PluginsE2eModule, { logger: false });
    syncs = app.get(SyncService);
    await query(`UPDATE global_holdout SET share = $1, salt = $2 WHERE id = 1`, [GLOBAL_SHARE, GLOBAL_SALT]);
  });

  afterAll(async () => {
    if (previousAllowList === undefined) delete process.env['AK_WEBHOOK_ALLOWED_HOSTS'];
    else process.env['AK_WEBHOOK_ALLOWED_HOSTS'] = previousAllowList;
    await app?.close();
    for (const fake of fakes.values()) await fake.stop();
    await db?.drop();
  });

  it('covers every registered connector', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(REGISTERED_CONNECTORS.map((connector) => connector.slug).sort());
  });

  let scenarioIndex = 0;
  for (const [slug, scenario] of Object.entries(SCENARIOS)) {
    const index = ++scenarioIndex;
    it(`${slug}: treated members reach the vendor once, held-out members never${scenario.mode === 'mirror' ? '; leavers are removed' : ''}`, async () => {
      const fake = fakes.get(slug) as Fake;
      const seeded = await seed(slug, index);
      const salt = `e2e-${slug}`;
      const global = createHoldoutAssigner(GLOBAL_SALT, GLOBAL_SHARE);
      const control = createHoldoutAssigner(salt, ACTIVATION_SHARE);
      const isHeldOut = (id: string) => global.isControl(id) || control.isControl(id);
      const treated = seeded.filter((member) => !isHeldOut(member.id));
      const heldOut = seeded.filter((member) => isHeldOut(member.id));
      expect(heldOut.length).toBeGreaterThan(0);

      // Twilio: one treated member's number is the fake's STOP number (error 21610).
      if (slug === 'twilio') {
        await query(`UPDATE identities SET value = $2 WHERE profile_id = $1 AND type = 'phone'`, [treated[0].id, MAGIC_BLOCKED_TO]);
        treated[0].phone = MAGIC_BLOCKED_TO;
      }
      const activationId = await seedActivation(slug, scenario, fake, seeded[0].segmentId, salt);

      const first = await syncOnce(activationId);
      expect([slug, first.status]).toEqual([slug, 'succeeded']);
      const firstRequests = [...fake.server.requests];
      const wire = firstRequests.map(payloadOf).join('\n');
      const idOf = (member: Member) =>
        scenario.identifier === 'hashedEmail' ? sha256(member.email) : scenario.identifier === 'phone' ? member.phone : member.email;
      const counts = treated.map((member) => [member.id, occurrences(wire, idOf(member))]);
      expect(counts).toEqual(treated.map((member) => [member.id, 1]));

      if (slug === 'twilio') {
        // limitsFor(settings): 100 messages a second → one call for the whole segment (the static long-code limits would make one per member).
        expect(first.counts['requests']).toBe(1);
        const [suppression] = await query(`SELECT channel FROM suppressions WHERE identifier_type = 'phone' AND identifier_value = $1`, [
          MAGIC_BLOCKED_TO,
        ]);
        expect(suppression).toEqual({ channel: 'sms' });
      }

      let secondStart = fake.server.requests.length;
      if (scenario.mode === 'mirror') {
        const [{ external_audience_id: audienceId }] = await query(`SELECT external_audience_id FROM activations WHERE id = $1`, [
          activationId,
        ]);
        const leaving = treated.slice(0, 4);
        expect(leaving.every((member) => scenario.holds?.(fake, member.email, audienceId))).toBe(true);
        await query(`DELETE FROM segment_memberships WHERE profile_id = ANY($1::uuid[])`, [leaving.map((member) => member.id)]);
        secondStart = fake.server.requests.length;
        const second = await syncOnce(activationId);
        expect(second).toMatchObject({ status: 'succeeded', counts: { removed: leaving.length } });
        expect(leaving.map((member) => scenario.holds?.(fake, member.email, audienceId))).toEqual(leaving.map(() => false));
        expect(treated.slice(4).every((member) => scenario.holds?.(fake, member.email, audienceId))).toBe(true);
        if (slug === 'google-ads') {
          // Customer Match lifespan (refreshMembershipAfterDays 500): members last uploaded 501 days ago are uploaded again.
          const aged = treated.slice(4, 7);
          await query(
            `UPDATE activation_members SET delivered_at = now() - interval '501 days' WHERE activation_id = $1 AND profile_id = ANY($2::uuid[])`,
            [activationId, aged.map((member) => member.id)],
          );
          const before = fake.server.requests.length;
          const refresh = await syncOnce(activationId);
          expect(refresh).toMatchObject({ status: 'succeeded', counts: { refreshed: aged.length } });
          const resent = fake.server.requests.slice(before).map(payloadOf).join('\n');
          expect(
            treated
              .slice(4)
              .filter((member) => resent.includes(sha256(member.email)))
              .map((member) => member.id),
          ).toEqual(aged.map((member) => member.id));
        }
        if (slug === 'meta-ads') {
          // Full resync through Meta's usersreplace: the audience becomes exactly the treated members still in the segment.
          const meta = fake as Awaited<ReturnType<typeof startMetaFake>>;
          const replace = await syncs.requestSync(activationId, { fullResync: true });
          await syncs.execute(replace.id);
          expect(await syncs.getRun(replace.id)).toMatchObject({
            status: 'succeeded',
            counts: { replaced: treated.length - leaving.length },
          });
          expect([...meta.sessions.values()].map((session) => session.done)).toEqual([true]);
          const audience = meta.audiences.get(String(audienceId));
          expect([...(audience?.members ?? [])].filter((key) => key.startsWith('EMAIL:')).sort()).toEqual(
            treated
              .slice(4)
              .map((member) => `EMAIL:${sha256(member.email)}`)
              .sort(),
          );
        }
      } else {
        const second = await syncOnce(activationId);
        expect(second.status).toBe('succeeded');
        if (slug === 'twilio') {
          // Rejected members are tried again by the next run; the STOP number is now suppressed.
          expect(second.counts['suppressed']).toBeGreaterThanOrEqual(1);
          expect(fake.server.requests.slice(secondStart).map(haystack).join('\n')).not.toContain(MAGIC_BLOCKED_TO);
          expect(fake.server.requests.slice(secondStart).map(payloadOf).join('\n')).not.toContain(encodeURIComponent(MAGIC_BLOCKED_TO));
        }
      }

      // No held-out member, in any form, in any request of either run.
      const everything = fake.server.requests.map(haystack).join('\n');
      const leaks = heldOut.flatMap((member) =>
        formsOf(member)
          .filter((form) => everything.includes(form))
          .map((form) => `${member.id}: ${form}`),
      );
      expect([slug, leaks]).toEqual([slug, []]);
      // The detector is not blind: the same search finds every treated member.
      expect(treated.filter((member) => !formsOf(member).some((form) => everything.includes(form)))).toEqual([]);
    }, 60_000);
  }

  /**
   * Computed and SQL traits (issue #20) through the real engine and plugins: values stored in
   * computed_trait_values reach SendGrid custom fields (`computed.<key>` → field id), the webhook
   * payload (`computedTraits`; values written by a SQL trait there) and an SMS body
   * (`{{computed.<key>}}`). The first member has no value.
   */
  const spendOf = (n: number) => (n === 0 ? undefined : n * 10 + 0.5);
  const COMPUTED_CASES: {
    slug: 'sendgrid' | 'webhook' | 'twilio';
    index: number;
    source: 'computed' | 'sql';
    settings: (fake: Fake) => Record<string, unknown>;
  }[] = [
    { slug: 'sendgrid', index: 7, source: 'computed', settings: () => ({ customFields: { 'computed.spend_90d': 'e1_N' } }) },
    {
      slug: 'webhook',
      index: 8,
      source: 'sql',
      settings: (fake) => ({ url: `${fake.url}/hooks/audiencekit`, computedTraits: ['spend_90d'] }),
    },
    { slug: 'twilio', index: 9, source: 'computed', settings: (fake) => SCENARIOS.twilio.settings(fake) },
  ];
  for (const { slug, index, source, settings } of COMPUTED_CASES) {
    it(`${slug}: computed trait values reach the vendor through the engine`, async () => {
      const fake = fakes.get(slug) as Fake;
      const members = await seed(`computed-${slug}`, index);
      await query(
        `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
         SELECT p, 'spend_90d', v, $4, $3, 1, now() FROM unnest($1::uuid[], $2::jsonb[]) AS t(p, v)`,
        [members.slice(1).map((member) => member.id), members.slice(1).map((_, n) => JSON.stringify(spendOf(n + 1))), randomUUID(), source],
      );
      const scenario: Scenario = {
        ...SCENARIOS[slug],
        settings,
        ...(slug === 'twilio' ? { message: { text: 'Hi {{first_name}}: {{computed.spend_90d}} points' } } : {}),
      };
      const activationId = await seedActivation(slug, scenario, fake, members[0].segmentId, `e2e-computed-${slug}`);
      expect(await syncOnce(activationId)).toMatchObject({ status: 'succeeded' });

      // What the vendor got per member (undefined: the member never reached it, e.g. held out).
      const received = (member: Member): unknown => {
        if (slug === 'sendgrid') {
          const contacts = (fake as Awaited<ReturnType<typeof startSendgridFake>>).contacts;
          return [...contacts.values()].find((contact) => contact.email === member.email)?.custom_fields;
        }
        if (slug === 'twilio') {
          return (fake as Awaited<ReturnType<typeof startTwilioFake>>).messages.find((message) => message.to === member.phone)?.body;
        }
        const bodies = fake.server.requests.map((request) => request.body as { members?: { profileId: string; computed?: unknown }[] });
        return bodies.flatMap((body) => body.members ?? []).find((sent) => sent.profileId === member.id)?.computed;
      };
      const expected = (n: number): unknown => {
        const spend = spendOf(n);
        if (slug === 'sendgrid') return spend === undefined ? {} : { e1_N: spend };
        if (slug === 'twilio') return `Hi Member${n + 1}: ${spend ?? ''} points`;
        return spend === undefined ? {} : { spend_90d: spend };
      };
      const reached = members.map((member, n) => [n, received(member)] as const).filter(([, value]) => value !== undefined);
      expect(reached.length).toBeGreaterThan(MEMBERS / 2);
      expect(reached).toEqual(reached.map(([n]) => [n, expected(n)]));
    }, 60_000);
  }

  interface Member {
    id: string;
    segmentId: string;
    email: string;
    phone: string;
  }

  /** A segment of 40 profiles, each with an e-mail address and an E.164 phone unique to the scenario. */
  async function seed(slug: string, index: number): Promise<Member[]> {
    const [segment] = await query(
      `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
      [`e2e_${slug.replace(/-/g, '_')}`],
    );
    const [run] = await query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
      [segment.id],
    );
    const members: Member[] = [];
    for (let n = 1; n <= MEMBERS; n++) {
      const email = `e2e.${slug}.m${n}.x@example.com`;
      // +1 415 <scenario> <6 digits>: fixed width, so no number is a substring of another.
      const phone = `+1415${index}${String(n).padStart(6, '0')}`;
      const [profile] = await query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [{ first_name: `Member${n}` }]);
      await query(`INSERT INTO identities (type, value, profile_id) VALUES ('email', $1, $3), ('phone', $2, $3)`, [
        email,
        phone,
        profile.id,
      ]);
      await query(`INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) VALUES ($1, $2, now(), $3)`, [
        segment.id,
        profile.id,
        run.id,
      ]);
      members.push({ id: profile.id, segmentId: segment.id, email, phone });
    }
    return members;
  }

  async function seedActivation(slug: string, scenario: Scenario, fake: Fake, segmentId: string, salt: string): Promise<string> {
    const sealed = new SecretBox(KEY_RING).seal(JSON.stringify(scenario.secrets));
    const [destination] = await query(
      `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ($1, $1, $2, $3, $4) RETURNING id`,
      [slug, scenario.settings(fake), sealed.ciphertext, sealed.keyId],
    );
    const [activation] = await query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule, message)
       VALUES ($1, $2, $3, $4, $5, $6, 'manual', $7) RETURNING id`,
      [`e2e ${slug}`, segmentId, destination.id, scenario.mode, ACTIVATION_SHARE, salt, scenario.message ?? null],
    );
    return activation.id;
  }

  async function syncOnce(activationId: string) {
    const run = await syncs.requestSync(activationId);
    await syncs.execute(run.id);
    return syncs.getRun(run.id);
  }
});
