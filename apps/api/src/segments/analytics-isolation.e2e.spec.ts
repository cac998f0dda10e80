import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../test/api-test-app';
import { callApi } from '../activations/__tests__/activations-test-app';

const PROFILES = 10_000;
const EVENTS = 1_000_000;
const HEAVY_PREVIEWS = 20;
const STATEMENT_TIMEOUT_MS = 2_000;

/**
 * A definition well within the cost budget that still makes Postgres work: `any` of 60 aggregate
 * conditions, each a grouped pass over every Order Completed event (the planner cannot share them).
 */
function heavyDefinition(): unknown {
  const conditions = Array.from({ length: 60 }, (_, index) => ({
    type: 'event',
    event: 'Order Completed',
    window: 'ever',
    aggregate: { function: 'sum', property: 'amount', operator: 'gt', value: 10_000 + index },
  }));
  return { type: 'rules', match: { type: 'any', conditions } };
}

/**
 * Issue #16 item 4: interactive analytics (previews here) run on their own small pool with a
 * statement timeout, so twenty heavy previews at once cannot take the connections that tracking
 * needs. Before, they took the whole pool and POST /v1/track answered 503 after 5 s.
 */
describe('heavy previews do not take ingestion down', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let marketerKey: string;
  let writeKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // One statement each: 10,000 profiles, then 1,000,000 events spread over a year.
    await db.dataSource.query(`INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series(1, ${PROFILES}) g`);
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'seed-' || g, ids[1 + g % ${PROFILES}], 'track', 'Order Completed', now() - (g % 365) * interval '1 day', jsonb_build_object('amount', g % 500)
       FROM generate_series(1, ${EVENTS}) g, (SELECT array_agg(id) AS ids FROM profiles) p`,
    );
    await db.dataSource.query(`ANALYZE events`);
    api = await startTestApi(db.url, { DB_POOL_SIZE: '10', ANALYTICS_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) });
    marketerKey = (await api.app.get(ApiKeyService).create('marketer', 'marketer')).secret;
    writeKey = (await api.app.get(ApiKeyService).create('write', 'write')).secret;
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('keeps answering POST /v1/track with 200 while 20 heavy previews run; previews end in 200 or a named 4xx/503, never a 500', async () => {
    const previews = Array.from({ length: HEAVY_PREVIEWS }, () =>
      callApi(api.baseUrl, marketerKey, 'POST', '/segments/preview', { definition: heavyDefinition(), sampleSize: 5 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the previews hold their connections by now
    const tracks: number[] = [];
    for (let index = 0; index < 6; index += 1) {
      const response = await fetch(`${api.baseUrl}/v1/track`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `u${index}`, event: 'Signed Up', messageId: `during-previews-${index}` }),
      });
      tracks.push(response.status);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(tracks).toEqual([200, 200, 200, 200, 200, 200]);
    const answers = await Promise.all(previews);
    const outcomes = answers.map((answer) => (answer.status === 200 ? 200 : `${answer.status} ${answer.body?.code}`));
    for (const outcome of outcomes) expect(['200', '422 analytics_timeout', '503 analytics_busy']).toContain(String(outcome));
    expect(outcomes).toContain('422 analytics_timeout'); // they were heavy: the statement timeout cut them off
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE message_id LIKE 'during-previews-%'`);
    expect(n).toBe(6);
  }, 90_000);
});
