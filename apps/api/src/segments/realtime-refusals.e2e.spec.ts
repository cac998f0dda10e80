import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';

const HISTORY_DAYS = 90;

/**
 * What cannot be real time is refused over HTTP with a 400 whose `code` says why and whose details
 * name the part: a reference to a batch segment, a cycle through references, a window longer than
 * the history real-time evaluation reads (API booted with AK_REALTIME_HISTORY_DAYS), an RFM
 * definition; and a real-time segment another one refers to cannot be made batch. Nothing is saved.
 */
describe('real-time segments: bad input through HTTP', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${marketerKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const create = (key: string, definition: unknown, refreshCadence = 'realtime') =>
    call('POST', '/segments', { key, name: key, owner: 'crm-team', refreshCadence, definition });
  const segmentCount = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM segments`))[0].n as number;
  const recent = { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'last 7 days' } };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url, { AK_REALTIME_HISTORY_DAYS: String(HISTORY_DAYS) });
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    expect(
      (
        await create(
          'batch-buyers',
          { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 30 days' } },
          'manual',
        )
      ).status,
    ).toBe(201);
    expect((await create('rt-carts', recent)).status).toBe(201);
  }, 30_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('refuses a reference to a batch segment, naming the condition and the segment', async () => {
    const before = await segmentCount();
    const response = await create('rt-refers-batch', {
      type: 'rules',
      match: {
        type: 'all',
        conditions: [
          { type: 'segment', segment: 'rt-carts' },
          { type: 'segment', segment: 'batch-buyers' },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('not_realtime_capable');
    expect(response.body.details).toEqual([
      { path: 'definition.match.conditions.1', message: expect.stringMatching(/"batch-buyers".*not real time/) },
    ]);
    expect(await segmentCount()).toBe(before);
  });

  it('refuses a cycle through references: a self-reference on create, and a PATCH closing a loop between real-time segments', async () => {
    const self = await create('rt-self', { type: 'rules', match: { type: 'segment', segment: 'rt-self' } });
    expect(self.status).toBe(400);
    expect(self.body.code).toBe('segment_reference_cycle');
    expect(self.body.message).toMatch(/rt-self → rt-self/);

    const outer = await create('rt-outer', { type: 'rules', match: { type: 'segment', segment: 'rt-carts' } });
    expect(outer.status).toBe(201);
    const [carts] = await db.dataSource.query(`SELECT id FROM segments WHERE key = 'rt-carts'`);
    const closing = await call('PATCH', `/segments/${carts.id}`, {
      definition: { type: 'rules', match: { type: 'not', condition: { type: 'segment', segment: 'rt-outer' } } },
    });
    expect(closing.status).toBe(400);
    expect(closing.body).toMatchObject({
      code: 'segment_reference_cycle',
      message: expect.stringMatching(/rt-carts → rt-outer → rt-carts/),
    });
    expect((await db.dataSource.query(`SELECT current_version FROM segments WHERE id = $1`, [carts.id]))[0].current_version).toBe(1);
  });

  it(`refuses a window longer than the ${HISTORY_DAYS} days of history real time reads, naming the window`, async () => {
    const response = await create('rt-too-long', {
      type: 'rules',
      match: {
        type: 'any',
        conditions: [
          { type: 'event', event: 'Product Added', window: 'last 90 days' },
          { type: 'event', event: 'Order Completed', window: 'last 120 days' },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('not_realtime_capable');
    expect(response.body.details).toEqual([
      { path: 'definition.match.conditions.1.window', message: expect.stringMatching(/120 days.*90 days|90 days.*120 days/) },
    ]);
    // The same definition is fine for a batch segment: only real time is bounded by the history.
    expect(
      (
        await create(
          'batch-too-long',
          { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'last 120 days' } },
          'manual',
        )
      ).status,
    ).toBe(201);
  });

  it('refuses an RFM definition on create and on PATCH, naming definition.type', async () => {
    const response = await create('rt-rfm', { type: 'rfm', tiers: ['champions'] });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('not_realtime_capable');
    expect(response.body.details).toEqual([{ path: 'definition.type', message: expect.stringMatching(/quintiles/) }]);
    // Refused for what it is, not for the purchase window an RFM version checks (there are no purchases here).
    const [carts] = await db.dataSource.query(`SELECT id FROM segments WHERE key = 'rt-carts'`);
    const patched = await call('PATCH', `/segments/${carts.id}`, { definition: { type: 'rfm', tiers: ['champions'] } });
    expect(patched.status).toBe(400);
    expect(patched.body.code).toBe('not_realtime_capable');
    expect(patched.body.details).toEqual([{ path: 'definition.type', message: expect.stringMatching(/quintiles/) }]);
  });

  it('refuses to make a real-time segment another real-time segment refers to manual, naming refreshCadence', async () => {
    const [carts] = await db.dataSource.query(`SELECT id FROM segments WHERE key = 'rt-carts'`);
    const response = await call('PATCH', `/segments/${carts.id}`, { refreshCadence: 'manual' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('segment_referenced_by_realtime');
    expect(response.body.details).toEqual([{ path: 'refreshCadence', message: expect.stringMatching(/rt-outer/) }]);
    expect((await db.dataSource.query(`SELECT refresh_cadence FROM segments WHERE id = $1`, [carts.id]))[0].refresh_cadence).toBe(
      'realtime',
    );
  });
});
