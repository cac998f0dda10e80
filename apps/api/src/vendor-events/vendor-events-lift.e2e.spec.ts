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
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../test/api-test-app';
import { callApi, startActivationsTestApi } from '../activations/__tests__/activations-test-app';
import { basicAuth, createWriteKey } from '../tracking/__tests__/tracking-test-kit';

const PEOPLE = 30;
const emailOf = (n: number) => `reader${n}@example.com`;

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
 * Issue #22, vendor events as lift KPIs, end to end on a real Postgres and real HTTP: a send
 * activation with a control group mails the treated half through the SendGrid fake; the fake's
 * signed Event Webhook posts clicks of some treated members to the API; then (1) a rules segment on
 * the event "Email Clicked", refreshed in SQL, holds exactly the clickers, and (2) the activation's
 * lift report, with "Email Clicked" as its segment's KPI, counts them as treated conversions and none
 * in control (control members were never mailed, so never clicked).
 */
describe('vendor events as segments and lift KPIs ("Email Clicked")', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let sendgrid: SendgridFake;
  let admin: string;
  let activationId: string;
  let destinationId: string;
  const keys = generateEventWebhookKeys();
  const profileOf = new Map<string, string>();
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const as = (method: string, path: string, body?: unknown) => callApi(api.baseUrl, admin, method, path, body);
  const sorted = (ids: Iterable<string>) => [...ids].sort();

  /** POST /segments/:id/refresh, then the queued job run as the worker runs it (the SQL refresh). */
  async function refreshNow(segmentId: string): Promise<{ size: number }> {
    const queued = await as('POST', `/segments/${segmentId}/refresh`);
    expect(queued.status).toBe(202);
    await api.app.get(SegmentRefreshService).execute(queued.body.runId);
    return (await as('GET', `/segments/${segmentId}/runs/${queued.body.runId}`)).body;
  }

  async function memberIds(segmentId: string): Promise<string[]> {
    const response = await as('GET', `/segments/${segmentId}/members`);
    expect(response.status).toBe(200);
    return sorted(response.body.items.map((item: { profileId: string }) => item.profileId));
  }

  async function createSegment(key: string, definition: unknown, kpi: unknown = null): Promise<string> {
    const created = await as('POST', '/segments', {
      key,
      name: key,
      owner: 'crm',
      definition,
      kpi,
      qualityThresholds: { minSize: 0, maxChurn: 10 },
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  const armOf = async (arm: string) =>
    sorted(
      (
        await query<{ profile_id: string }>(`SELECT profile_id FROM activation_exposures WHERE activation_id = $1 AND arm = $2`, [
          activationId,
          arm,
        ])
      ).map((row) => row.profile_id),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    sendgrid = await startSendgridFake();
    const port = await freePort();
    api = await startActivationsTestApi(db.url, {
      connectors: [sendgridEmail],
      port,
      env: {
        AK_CONNECTOR_BASE_URLS: `sendgrid-email=${sendgrid.url}`,
        AK_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        AK_MASS_SEND_THRESHOLD: '1000',
      },
    });
    admin = (await api.app.get(ApiKeyService).create('ops', 'admin')).secret;
    const writeKey = await createWriteKey(api, 'server');
    const batch = Array.from({ length: PEOPLE }, (_, n) => ({
      type: 'identify',
      userId: `reader-${n}`,
      traits: { email: emailOf(n), newsletter: 'weekly' },
    }));
    const identified = await fetch(`${api.baseUrl}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basicAuth(writeKey), 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(identified.status).toBe(200);
    for (const row of await query<{ profile_id: string; value: string }>(`SELECT profile_id, value FROM identities WHERE type = 'email'`))
      profileOf.set(row.value, row.profile_id);
    expect(profileOf.size).toBe(PEOPLE);

    // The audience, with "Email Clicked" (within 7 days of the send) as its success KPI.
    const audienceId = await createSegment(
      'weekly_readers',
      { type: 'rules', match: { type: 'trait', trait: 'newsletter', operator: 'equals', value: 'weekly' } },
      { event: 'Email Clicked', windowDays: 7 },
    );
    expect(await refreshNow(audienceId)).toMatchObject({ size: PEOPLE });
    const destination = await as('POST', '/destinations', {
      name: 'mail',
      connector: 'sendgrid-email',
      settings: { fromEmail: 'news@example.com', eventWebhookPublicKey: keys.publicKey },
      secrets: { apiKey: 'SG.vendor-events-lift-e2e' },
    });
    expect(destination.status).toBe(201);
    destinationId = destination.body.id;
    const activation = await as('POST', '/activations', {
      name: 'weekly newsletter',
      segmentId: audienceId,
      destinationId,
      mode: 'send',
      holdoutShare: 0.5,
      message: { subject: 'This week', text: 'Read on' },
    });
    expect(activation.status).toBe(201);
    activationId = activation.body.id;
    const requested = await as('POST', `/activations/${activationId}/sync`, {});
    expect(requested.status).toBe(202);
    await api.app.get(SyncService).execute(requested.body.id);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await sendgrid?.stop();
    await db?.drop();
  });

  /** The mails the fake accepted, by recipient. */
  const treatedMails = () => sendgrid.mails.slice().sort((a, b) => (a.to < b.to ? -1 : 1));

  it('mails the treated arm only: both arms are exposed, the control group gets nothing', async () => {
    const treated = await armOf('treatment');
    const control = await armOf('control');
    expect(treated.length).toBeGreaterThan(0);
    expect(control.length).toBeGreaterThan(0);
    expect(treated.length + control.length).toBe(PEOPLE);
    expect(sorted(sendgrid.mails.map((mail) => profileOf.get(mail.to) ?? mail.to))).toEqual(treated);
  });

  describe('after the fake posts signed clicks of some treated members', () => {
    let clickers: string[];
    let sendSecond: number;

    beforeAll(async () => {
      // SendGrid stamps events in whole Unix seconds: events in the second of the send read as
      // earlier than the exposure, which is recorded (with microseconds) after SendGrid's answer.
      const [{ second }] = await query<{ second: number }>(
        `SELECT floor(extract(epoch FROM min(exposed_at)))::int AS second FROM activation_exposures WHERE activation_id = $1 AND arm = 'treatment'`,
        [activationId],
      );
      sendSecond = second;
      // Every other treated member clicks, one of them twice (two clicks are one conversion);
      // every treated member's mail is delivered and opened.
      const mails = treatedMails();
      const clicked = mails.filter((_, index) => index % 2 === 0);
      clickers = sorted(clicked.map((mail) => profileOf.get(mail.to) as string));
      const at = { timestamp: second };
      const events = [
        ...mails.flatMap((mail) => [eventAbout(mail, 'delivered', at), eventAbout(mail, 'open', at)]),
        ...clicked.map((mail) => eventAbout(mail, 'click', at)),
        eventAbout(clicked[0], 'click', { ...at, url: 'https://example.com/second' }),
      ];
      const posted = await postEventWebhook(`${api.baseUrl}/v1/vendor-events/sendgrid-email/${destinationId}`, events, keys);
      expect(posted.status).toBe(200);
      expect(JSON.parse(posted.text)).toMatchObject({ stored: events.length, unmatched: 0 });
    });

    it("the clicks are events on the clickers' profiles, with the activation that sent the mail, at or after its exposure", async () => {
      const rows = await query<{ profile_id: string; activation: string | null; vendor_time: string; at_exposure: boolean }>(
        `SELECT e.profile_id, e.properties->>'activationId' AS activation, e.properties->>'vendorTimestamp' AS vendor_time,
                e.timestamp >= x.exposed_at AND e.timestamp < x.exposed_at + interval '1 millisecond' AS at_exposure
           FROM events e JOIN activation_exposures x ON x.profile_id = e.profile_id AND x.activation_id = $1
          WHERE e.name = 'Email Clicked'`,
        [activationId],
      );
      expect(rows).toHaveLength(clickers.length + 1);
      expect(sorted(new Set(rows.map((row) => row.profile_id)))).toEqual(clickers);
      // Moved from SendGrid's whole second to the exposure (first millisecond at or after it); SendGrid's time kept.
      for (const row of rows)
        expect(row).toMatchObject({ activation: activationId, vendor_time: new Date(sendSecond * 1000).toISOString(), at_exposure: true });
    });

    it('(1) a rules segment on "Email Clicked", refreshed in SQL, holds exactly the clickers', async () => {
      const segmentId = await createSegment('clicked_this_week', {
        type: 'rules',
        match: { type: 'event', event: 'Email Clicked', window: 'last 7 days' },
      });
      expect(await refreshNow(segmentId)).toMatchObject({ size: clickers.length });
      expect(await memberIds(segmentId)).toEqual(clickers);
    });

    it('(2) the lift report with KPI "Email Clicked" counts the clickers in treatment and no conversion in control', async () => {
      const treated = await armOf('treatment');
      const control = await armOf('control');
      const response = await as('GET', `/activations/${activationId}/lift`);
      expect(response.status).toBe(200);
      expect(response.body.kpi).toEqual({ event: 'Email Clicked', windowDays: 7, valueProperty: null });
      expect(response.body.report.arms.treatment).toMatchObject({ members: treated.length, conversions: clickers.length });
      expect(response.body.report.arms.control).toMatchObject({ members: control.length, conversions: 0 });
      expect(response.body.report.arms.treatment.conversionRate).toBeCloseTo(clickers.length / treated.length, 12);
    });
  });
});
