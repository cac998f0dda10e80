import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { CatalogueService } from '../catalogue.service';

/**
 * The catalogue against a real Postgres at realistic scale: 1M events generated with SQL, folded,
 * and compared with a full GROUP BY over `events`; reads are shown (by their plans) never to touch
 * `events`; the watermark never skips an event of a transaction still open when a fold runs.
 */
describe('catalogue fold', () => {
  let db: TestDatabase;
  let catalogue: CatalogueService;
  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase();
    catalogue = new CatalogueService(db.dataSource);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('reports an empty catalogue, never folded, before the first fold', async () => {
    const page = await catalogue.events({ prefix: '', limit: 10 });
    expect(page).toEqual({ items: [], freshness: { foldedUntil: null, foldedAt: null, eventsFolded: 0 } });
  });

  it('equals a full GROUP BY over 1M events, and reading it does not scan events', async () => {
    // 1M track events over 20 names and 5,000 profiles, plus 20,000 identify calls (traits).
    await query(`
      INSERT INTO events (message_id, profile_id, type, name, timestamp, received_at, properties)
      SELECT 'm-' || g, ('00000000-0000-4000-8000-' || lpad((g % 5000)::text, 12, '0'))::uuid, 'track',
             'Event ' || (g % 20), timestamp '2026-01-01' + (g % 86400) * interval '1 minute', now() - interval '1 hour',
             jsonb_build_object('revenue', (g % 100) * 1.5, 'currency', CASE WHEN g % 2 = 0 THEN 'EUR' ELSE 'USD' END,
                                'product', jsonb_build_object('sku', 'sku-' || (g % 7)), 'email', 'p' || (g % 5000) || '@example.com')
        FROM generate_series(1, 1000000) g`);
    await query(`
      INSERT INTO events (message_id, profile_id, type, name, timestamp, received_at, properties)
      SELECT 'i-' || g, ('00000000-0000-4000-8000-' || lpad((g % 5000)::text, 12, '0'))::uuid, 'identify', NULL,
             timestamp '2026-02-01' + g * interval '1 second', now() - interval '1 hour',
             jsonb_build_object('plan', CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END, 'email', 'p' || g || '@example.com')
        FROM generate_series(1, 20000) g`);
    await query(`ANALYZE events`);

    const outcome = await catalogue.fold();
    expect(outcome).toMatchObject({ folded: true, events: 1_000_000 });

    const expected = await query(
      `SELECT name, count(*)::int AS count, min(timestamp) AS first, max(timestamp) AS last FROM events WHERE name IS NOT NULL GROUP BY name ORDER BY count(*) DESC, name`,
    );
    const page = await catalogue.events({ prefix: '', limit: 100 });
    expect(page.items).toEqual(
      expected.map((row) => ({
        name: row.name,
        count: row.count,
        firstSeenAt: row.first.toISOString(),
        lastSeenAt: row.last.toISOString(),
      })),
    );
    expect(page.freshness.eventsFolded).toBe(1_000_000);
    expect(page.freshness.foldedAt).not.toBeNull();

    const plans = [
      `SELECT name FROM catalogue_events WHERE left(lower(name), length('ev')) = lower('ev') ORDER BY event_count DESC LIMIT 20`,
      `SELECT key FROM catalogue_keys WHERE scope = 'event' AND event_name = 'Event 3' ORDER BY value_count DESC LIMIT 20`,
    ];
    for (const sql of plans) {
      const plan = JSON.stringify(await query(`EXPLAIN (FORMAT JSON) ${sql}`));
      expect(plan).not.toContain('"events"');
    }
  }, 300_000);

  it('reads only the new events of the next fold, through the BRIN index on received_at', async () => {
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp) SELECT 'next-' || g, gen_random_uuid(), 'track', 'Event 1', now() FROM generate_series(1, 100) g`,
    );
    await query(`ANALYZE events`);
    const [{ folded_until: from }] = await query(`SELECT folded_until::text AS folded_until FROM catalogue_state`);
    // The range predicate of the fold's statements (catalogue.repository.ts), planned as they are.
    const plan = JSON.stringify(
      await query(
        `EXPLAIN (FORMAT JSON) SELECT count(*) FROM events e WHERE e.received_at >= $1::timestamptz AND e.received_at < $2::timestamptz`,
        [from, 'infinity'],
      ),
    );
    expect(plan).toContain('idx_events_received_at_brin');
    expect(plan).not.toContain('Seq Scan');
    await expect(catalogue.fold()).resolves.toMatchObject({ folded: true, events: 100 });
  });

  it('lists property keys with their types, counts and examples shared by at least three profiles', async () => {
    const page = await catalogue.eventProperties('Event 3', { prefix: '', limit: 50 }, 'admin');
    const byKey = Object.fromEntries(page.items.map((item) => [item.key, item]));
    expect(Object.keys(byKey).sort()).toEqual(['currency', 'email', 'product', 'product.sku', 'revenue']);
    expect(byKey['revenue']).toMatchObject({ types: ['number'], count: 50_000 }); // the 100 later ones have no properties
    expect(byKey['product']).toMatchObject({ types: ['object'], examples: [] });
    expect(byKey['currency'].examples).toEqual(['USD']);
    expect(byKey['product.sku'].examples).toHaveLength(5);
    // Every profile sends its own address: no address was sent by three profiles, so none is an example.
    expect(byKey['email'].examples).toEqual([]);
  });

  it('lists trait keys from identify calls, by prefix, case-insensitively', async () => {
    const page = await catalogue.traits({ prefix: 'PL', limit: 10 }, 'viewer');
    expect(page.items).toEqual([
      { key: 'plan', types: ['string'], count: 20_000, lastSeenAt: expect.any(String), examples: ['free', 'pro'] },
    ]);
  });

  it('masks examples of identifier keys and addresses inside examples below admin', async () => {
    await query(`
      INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
      SELECT 'shared-' || g, gen_random_uuid(), 'track', 'Support Contacted', now(),
             '{"userId": "u-777", "inbox": "help@shop.example"}'::jsonb FROM generate_series(1, 3) g`);
    await waitForFold(catalogue, 'Support Contacted');
    const viewer = await catalogue.eventProperties('Support Contacted', { prefix: '', limit: 10 }, 'marketer');
    expect(viewer.items.map((item) => [item.key, item.examples])).toEqual([
      ['inbox', ['h***@shop.example']],
      ['userId', ['u***']],
    ]);
    const admin = await catalogue.eventProperties('Support Contacted', { prefix: '', limit: 10 }, 'admin');
    expect(admin.items.map((item) => [item.key, item.examples])).toEqual([
      ['inbox', ['help@shop.example']],
      ['userId', ['u-777']],
    ]);
  });

  it('never lists a key holding an address or a numeric segment (a payload keyed by emails or phones)', async () => {
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       VALUES ('keyed-1', gen_random_uuid(), 'track', 'Keyed Payload', now(),
               '{"ann@example.com": true, "+447700900123": 1, "items": {"0": "x"}, "kept": 1}'::jsonb)`,
    );
    await waitForFold(catalogue, 'Keyed Payload');
    const page = await catalogue.eventProperties('Keyed Payload', { prefix: '', limit: 10 }, 'admin');
    expect(page.items.map((item) => item.key).sort()).toEqual(['items', 'kept']);
  });

  it('never skips an event whose transaction was still open when a fold ran (the horizon waits for it)', async () => {
    const slow = new Client({ connectionString: db.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      // received_at = now() = the start of this transaction, before the fold below.
      await slow.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('late-1', gen_random_uuid(), 'track', 'Late Event', now())`,
      );
      await query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp) VALUES ('after-1', gen_random_uuid(), 'track', 'After Event', now())`,
      );
      await catalogue.fold();
      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    await catalogue.fold();
    const names = (await catalogue.events({ prefix: '', limit: 100 })).items.map((item) => item.name);
    expect(names).toEqual(expect.arrayContaining(['Late Event', 'After Event']));
    const [{ count }] = await query(`SELECT count(*)::int AS count FROM events WHERE name IS NOT NULL`);
    expect((await catalogue.events({ prefix: '', limit: 100 })).items.reduce((sum, item) => sum + item.count, 0)).toBe(count);
  });

  it('lets one worker fold at a time (the other gets folded: false)', async () => {
    await db.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1)`, [0x616b_6361]);
      await expect(catalogue.fold()).resolves.toEqual({ folded: false, events: 0, foldedUntil: null });
    });
  });
});

/** Folds until the name shows (a fold's horizon may stop short of a transaction just committed). */
async function waitForFold(catalogue: CatalogueService, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    await catalogue.fold();
    const page = await catalogue.events({ prefix: name, limit: 1 });
    if (page.items.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never reached the catalogue`);
}
