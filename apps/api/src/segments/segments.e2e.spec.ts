import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { SegmentRefreshService } from '@audiencekit/segments-service';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { daysAgo, insertEvent, insertProfile } from '../../test/seed-data';

/**
 * Segments end to end through the HTTP API on a real Postgres: documentation, versions, preview,
 * refresh runs with adds/removes, history as of a date, overlap, quality flags and bad input.
 * Refresh jobs are executed with the same service the worker's queue handler calls.
 */
describe('segments through the API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let viewerKey: string;
  const people: Record<string, string> = {};

  async function call(method: string, path: string, body?: unknown, key = marketerKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** POST /refresh, then run the queued job as the worker would; returns the finished run. */
  async function refreshNow(segmentId: string): Promise<any> {
    const queued = await call('POST', `/segments/${segmentId}/refresh`);
    expect(queued.status).toBe(202);
    await api.app.get(SegmentRefreshService).execute(queued.body.runId);
    return (await call('GET', `/segments/${segmentId}/runs/${queued.body.runId}`, undefined, viewerKey)).body;
  }

  async function memberIds(segmentId: string, asOf?: Date): Promise<string[]> {
    const query = asOf ? `?asOf=${asOf.toISOString()}` : '';
    const response = await call('GET', `/segments/${segmentId}/members${query}`, undefined, viewerKey);
    expect(response.status).toBe(200);
    return response.body.items.map((item: { profileId: string }) => item.profileId).sort();
  }

  const named = (...names: string[]) => names.map((name) => people[name]).sort();

  async function createSegment(key: string, definition: unknown, extra: Record<string, unknown> = {}) {
    return call('POST', '/segments', {
      key,
      name: key,
      owner: 'crm-team',
      definition,
      qualityThresholds: { minSize: 2, maxChurn: 0.5 },
      ...extra,
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db.url);
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    viewerKey = (await api.app.get(ApiKeyService).create('viewer', 'viewer')).secret;
    people.alice = await insertProfile(db.dataSource, { email: 'alice@example.com', signup: '2025-01-01' });
    people.bob = await insertProfile(db.dataSource, { email: 'bob@example.com', signup: '2026-09-01' });
    people.carol = await insertProfile(db.dataSource, { email: 'carol@example.com' });
    people.dave = await insertProfile(db.dataSource, { email: 'dave@example.com', signup: '2024-06-30' });
    await insertEvent(db.dataSource, people.alice, 'Product Added', daysAgo(2));
    await insertEvent(db.dataSource, people.bob, 'Product Added', daysAgo(3));
    await insertEvent(db.dataSource, people.bob, 'Order Completed', daysAgo(1), { revenue: 1200 });
    await insertEvent(db.dataSource, people.carol, 'Order Completed', daysAgo(200), { revenue: 80 });
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  describe('the cart abandoner, from create to history', () => {
    let segmentId: string;
    let firstRunFinished: Date;

    it('creates version 1 with its documentation card', async () => {
      const created = await createSegment('cart-abandoner', EXAMPLE_SEGMENTS.cartAbandoner.definition, {
        description: EXAMPLE_SEGMENTS.cartAbandoner.description,
        refreshCadence: '0 * * * *',
        kpi: { event: 'Order Completed', windowDays: 7, valueProperty: 'revenue' },
      });
      expect(created.status).toBe(201);
      segmentId = created.body.id;
      const read = await call('GET', `/segments/${segmentId}`, undefined, viewerKey);
      expect(read.body).toMatchObject({
        key: 'cart-abandoner',
        owner: 'crm-team',
        refreshCadence: '0 * * * *',
        version: 1,
        status: 'active',
        kpi: { event: 'Order Completed', windowDays: 7 },
      });
      expect(read.body.definition).toEqual(EXAMPLE_SEGMENTS.cartAbandoner.definition);
    });

    it('previews the size and a sample without saving anything', async () => {
      const before = await db.dataSource.query('SELECT count(*)::int AS n FROM segment_runs');
      const preview = await call('POST', '/segments/preview', { definition: EXAMPLE_SEGMENTS.cartAbandoner.definition });
      expect(preview.status).toBe(200);
      expect(preview.body).toEqual({ size: 1, sample: [people.alice] });
      expect(await db.dataSource.query('SELECT count(*)::int AS n FROM segment_runs')).toEqual(before);
    });

    it('refreshes: the run records size, adds, removes, version and quality; Segment Entered is emitted', async () => {
      const run = await refreshNow(segmentId);
      firstRunFinished = new Date();
      expect(run).toMatchObject({ status: 'succeeded', size: 1, adds: 1, removes: 0, version: 1, trigger: 'api' });
      expect(run.durationMs).toEqual(expect.any(Number));
      expect(run.quality).toMatchObject({ empty: false, notSubstantial: true, minSize: 2 });
      expect(await memberIds(segmentId)).toEqual(named('alice'));
      const entered = await db.dataSource.query(`SELECT profile_id, properties FROM events WHERE name = 'Segment Entered'`);
      expect(entered).toEqual([
        {
          profile_id: people.alice,
          properties: expect.objectContaining({ segment_key: 'cart-abandoner', segment_version: 1, run_id: run.id }),
        },
      ]);
    });

    it('a later run records the diff against the previous one, and history stays answerable', async () => {
      await insertEvent(db.dataSource, people.alice, 'Order Completed', daysAgo(0.5), { revenue: 30 });
      await insertEvent(db.dataSource, people.dave, 'Product Added', daysAgo(1));
      const run = await refreshNow(segmentId);
      expect(run).toMatchObject({ status: 'succeeded', size: 1, adds: 1, removes: 1 });
      expect(run.quality.churn).toBe(2);
      expect(run.quality.unstable).toBe(true);
      expect(await memberIds(segmentId)).toEqual(named('dave'));
      expect(await memberIds(segmentId, firstRunFinished)).toEqual(named('alice'));
      const exited = await db.dataSource.query(`SELECT profile_id FROM events WHERE name = 'Segment Exited'`);
      expect(exited).toEqual([{ profile_id: people.alice }]);

      const runs = await call('GET', `/segments/${segmentId}/runs`, undefined, viewerKey);
      expect(runs.body.total).toBe(2);
      expect(runs.body.items.map((item: any) => [item.adds, item.removes, item.version])).toEqual([
        [1, 1, 1],
        [1, 0, 1],
      ]);
    });

    it('members as of a date say which run and version put each member there', async () => {
      const asOf = await call('GET', `/segments/${segmentId}/members?asOf=${firstRunFinished.toISOString()}`, undefined, viewerKey);
      expect(asOf.body).toMatchObject({ version: 1, total: 1, definition: EXAMPLE_SEGMENTS.cartAbandoner.definition });
      expect(asOf.body.items[0]).toMatchObject({ profileId: people.alice, version: 1, runId: expect.any(String) });
    });

    it('a changed definition is a new immutable version; the old one stays readable and runs record the new one', async () => {
      const widened = { type: 'rules', match: { type: 'event', event: 'Product Added', window: 'last 7 days' } };
      const updated = await call('PATCH', `/segments/${segmentId}`, { definition: widened, owner: 'growth' });
      expect(updated.body).toMatchObject({ version: 2, owner: 'growth' });
      const unchanged = await call('PATCH', `/segments/${segmentId}`, { definition: widened });
      expect(unchanged.body.version).toBe(2);
      const versions = await call('GET', `/segments/${segmentId}/versions`, undefined, viewerKey);
      expect(versions.body.map((version: any) => version.version)).toEqual([1, 2]);
      expect((await call('GET', `/segments/${segmentId}/versions/1`, undefined, viewerKey)).body.definition).toEqual(
        EXAMPLE_SEGMENTS.cartAbandoner.definition,
      );
      const run = await refreshNow(segmentId);
      expect(run).toMatchObject({ version: 2, size: 3, adds: 2, removes: 0 });
      await expect(db.dataSource.query(`UPDATE segment_versions SET definition = '{}' WHERE segment_id = $1`, [segmentId])).rejects.toThrow(
        /immutable/,
      );
    });

    it('overlap gives both sizes and the intersection', async () => {
      const vip = await createSegment('vip', EXAMPLE_SEGMENTS.vip.definition);
      await refreshNow(vip.body.id);
      const overlap = await call('GET', `/segments/${segmentId}/overlap?with=${vip.body.id}`, undefined, viewerKey);
      expect(overlap.body).toEqual({ size: 3, otherSize: 1, intersection: 1 });
    });
  });

  it('a failing refresh leaves the previous membership intact and marks the run failed with the reason', async () => {
    const early = await createSegment('early-signups', {
      type: 'rules',
      match: { type: 'trait', trait: 'signup', operator: 'lt', value: '2026-01-01' },
    });
    expect((await refreshNow(early.body.id)).size).toBe(2);
    // Fault injection: the date parser the compiled SQL calls disappears mid-life.
    await db.dataSource.query('ALTER FUNCTION ak_try_timestamptz(text) RENAME TO ak_try_timestamptz_away');
    try {
      await insertProfile(db.dataSource, { signup: '2020-01-01' });
      const failed = await refreshNow(early.body.id);
      expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/ak_try_timestamptz/) });
    } finally {
      await db.dataSource.query('ALTER FUNCTION ak_try_timestamptz_away(text) RENAME TO ak_try_timestamptz');
    }
    expect(await memberIds(early.body.id)).toEqual(named('alice', 'dave'));
    const [{ changes }] = await db.dataSource.query(
      `SELECT count(*)::int AS changes FROM segment_membership_changes c JOIN segment_runs r ON r.id = c.run_id WHERE r.status = 'failed'`,
    );
    expect(changes).toBe(0);
  });

  it('flags an empty result', async () => {
    const nobody = await createSegment('nobody', {
      type: 'rules',
      match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'enterprise' },
    });
    expect((await refreshNow(nobody.body.id)).quality).toMatchObject({ empty: true, notSubstantial: true, unstable: false });
  });

  describe('bad input', () => {
    it.each([
      [
        'an unknown trait operator',
        { type: 'rules', match: { type: 'trait', trait: 'age', operator: 'older_than', value: 3 } },
        'definition.match.operator',
      ],
      [
        'a value of the wrong type',
        { type: 'rules', match: { type: 'all', conditions: [{ type: 'trait', trait: 'age', operator: 'gt', value: true }] } },
        'definition.match.conditions.0.value',
      ],
      [
        'a window that does not parse',
        { type: 'rules', match: { type: 'event', event: 'Order Completed', window: 'the other day' } },
        'definition.match.window',
      ],
      ['a reference to a segment that does not exist', { type: 'rules', match: { type: 'segment', segment: 'ghost' } }, 'definition'],
    ])('refuses %s with a 400 naming the path, and saves nothing', async (_title, definition, path) => {
      const response = await createSegment(`bad-${Math.random().toString(36).slice(2, 8)}`, definition);
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM segments WHERE key LIKE 'bad-%'`);
      expect(n).toBe(0);
    });

    it('refuses a definition of 1 MB with a 400 naming the field', async () => {
      const conditions = Array.from({ length: 20_000 }, (_, index) => ({
        type: 'trait',
        trait: `trait${index}`,
        operator: 'equals',
        value: 'x'.repeat(20),
      }));
      const body = JSON.stringify({
        key: 'huge',
        name: 'huge',
        owner: 'x',
        definition: { type: 'rules', match: { type: 'any', conditions } },
      });
      expect(body.length).toBeGreaterThan(1_000_000);
      const response = await call('POST', '/segments', body);
      expect(response.status).toBe(400);
      expect(response.body.details[0]).toMatchObject({ path: 'definition', message: expect.stringMatching(/at most 65536/) });
    });

    it('refuses cyclic segment references, naming the cycle', async () => {
      const a = await createSegment('cycle-a', { type: 'rules', match: { type: 'trait', trait: 'email', operator: 'exists' } });
      const b = await createSegment('cycle-b', { type: 'rules', match: { type: 'segment', segment: 'cycle-a' } });
      expect(b.status).toBe(201);
      const closing = await call('PATCH', `/segments/${a.body.id}`, {
        definition: { type: 'rules', match: { type: 'not', condition: { type: 'segment', segment: b.body.id } } },
      });
      expect(closing.status).toBe(400);
      expect(closing.body).toMatchObject({
        code: 'segment_reference_cycle',
        message: expect.stringMatching(/cycle-a → cycle-b → cycle-a/),
      });
      expect((await call('GET', `/segments/${a.body.id}`, undefined, viewerKey)).body.version).toBe(1);
      const self = await createSegment('self', { type: 'rules', match: { type: 'segment', segment: 'self' } });
      expect(self.status).toBe(400);
    });

    it('answers 404 to refreshing a deleted or unknown segment', async () => {
      const doomed = await createSegment('doomed', { type: 'rules', match: { type: 'trait', trait: 'email', operator: 'exists' } });
      expect((await call('DELETE', `/segments/${doomed.body.id}`)).status).toBe(204);
      expect((await call('POST', `/segments/${doomed.body.id}/refresh`)).status).toBe(404);
      expect((await call('POST', '/segments/00000000-0000-4000-8000-000000000000/refresh')).status).toBe(404);
      expect((await call('GET', `/segments/${doomed.body.id}`, undefined, viewerKey)).status).toBe(404);
    });

    it('refuses a bad cadence and a bad key, naming the fields', async () => {
      const response = await call('POST', '/segments', {
        key: 'Not A Key',
        name: 'x',
        owner: 'x',
        refreshCadence: 'every tuesday',
        definition: EXAMPLE_SEGMENTS.vip.definition,
      });
      expect(response.status).toBe(400);
      expect(response.body.details.map((detail: { path: string }) => detail.path).sort()).toEqual(['key', 'refreshCadence']);
    });
  });
});
