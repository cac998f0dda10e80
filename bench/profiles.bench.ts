/**
 * Profiles at scale: 1M profiles and 10M events generated with SQL generate_series into a scratch
 * database (3 identities each: email, user id, anonymous id; a tenth of them merged losers), then
 * the real API (a child process) is asked over HTTP, one request at a time on a kept-alive
 * connection, for: a lookup by email, by user id and by a merged profile's anonymous id, the
 * detail, a page of events, and the explain of a rules segment (the same evaluator as real time).
 * Each row reports p50 / p99 / mean latency and its p99 against GET /health's p99 measured in the
 * same run (the HTTP stack and auth alone). Target: p99 ≤ 50 ms for lookup and explain.
 * Then the member export (issue #19): every profile made a member of the segment, streamed by
 * GET /segments/:id/members/export?identifiers=email,user_id; rows/s and the API's peak RSS.
 *
 *   npm run bench -- profiles                                       # 1M profiles, 10M events
 *   npm run bench -- profiles --profiles=100000 --events=1000000 --samples=500
 */
import { ApiKeyEntity } from '@audiencekit/persistence';
import { generateApiKey } from '@audiencekit/server-core';
import { rssMiB, startApi } from './lib/app-processes';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const PROFILES = Number(argument('profiles') ?? 1_000_000);
const EVENTS = Number(argument('events') ?? 10_000_000);
const SAMPLES = Number(argument('samples') ?? 2_000);
const NAMES = ['Product Viewed', 'Product Added', 'Order Completed', 'Page Viewed', 'Checkout Started'];

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** Deterministic sample of profile numbers (1..PROFILES) so runs ask for the same people. */
function sampleNumbers(count: number, seed = 19): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return 1 + (state % PROFILES);
  });
}

/** A version-4-shaped UUID from md5 (the API validates UUIDs strictly). */
const uuidOf = (text: string) => `overlay(overlay(md5(${text}) placing '4' from 13) placing '8' from 17)::uuid`;

async function generate(query: (text: string, values?: unknown[]) => Promise<unknown>): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  // Bulk load without the secondary indexes, then build them (what a restore does): the numbers
  // below are measured with every index the migrations create.
  const indexes = (await query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('events', 'identities', 'profiles')
       AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`,
  )) as { indexname: string; indexdef: string }[];
  for (const index of indexes) await query(`DROP INDEX "${index.indexname}"`);
  seconds['profiles s'] = await seconds_(() =>
    query(
      `INSERT INTO profiles (id, traits, trait_timestamps, first_seen_at, last_seen_at, merged_into)
       SELECT ${uuidOf("'p' || g")},
              jsonb_build_object('email', 'user' || g || '@example.com', 'plan', (ARRAY['free','pro','team'])[1 + g % 3], 'ltv', g % 500),
              jsonb_build_object('email', '2026-01-01T00:00:00.000Z', 'plan', '2026-01-01T00:00:00.000Z', 'ltv', '2026-01-01T00:00:00.000Z'),
              now() - interval '90 days', now() - (g % 60) * interval '1 day',
              CASE WHEN g % 10 = 0 THEN ${uuidOf("'p' || (g - 1)")} END
         FROM generate_series(1, $1::int) g`,
      [PROFILES],
    ),
  );
  seconds['identities s'] = await seconds_(() =>
    query(
      `INSERT INTO identities (type, value, profile_id)
       SELECT t.type, CASE t.type WHEN 'email' THEN 'user' || g || '@example.com' WHEN 'user_id' THEN 'user-' || g ELSE 'anon-' || g END,
              ${uuidOf("'p' || g")}
         FROM generate_series(1, $1::int) g CROSS JOIN (VALUES ('email'), ('user_id'), ('anonymous_id')) AS t(type)`,
      [PROFILES],
    ),
  );
  // Events belong to live profiles (a merge moves the loser's events to the winner).
  seconds['events s'] = await seconds_(() =>
    query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'bench-' || g, ${uuidOf("'p' || (CASE WHEN p % 10 = 0 THEN p - 1 ELSE p END)")}, 'track', ($2::text[])[1 + g % 5],
              now() - ((g::bigint * 7919) % (90 * 86400)) * interval '1 second',
              jsonb_build_object('revenue', (g % 20000) / 100.0, 'sku', 'sku-' || g % 997)
         FROM generate_series(1, $1::int) g, LATERAL (SELECT 1 + (g * 2654435761) % $3::bigint AS p) AS pick`,
      [EVENTS, NAMES, PROFILES],
    ),
  );
  seconds['indexes s'] = await seconds_(async () => {
    for (const index of indexes) await query(index.indexdef);
  });
  seconds['analyze s'] = await seconds_(() => query('ANALYZE'));
  return seconds;
}

async function seconds_(work: () => Promise<unknown>): Promise<number> {
  return (await timeIt(work)) / 1000;
}

interface Latencies {
  target: string;
  samples: number[];
  failures: number;
}

async function measure(target: string, baseUrl: string, key: string, paths: string[]): Promise<Latencies> {
  const samples: number[] = [];
  let failures = 0;
  for (const path of paths) {
    const start = process.hrtime.bigint();
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (!response.ok) failures++;
  }
  return { target, samples, failures };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function main(): Promise<void> {
  console.log(`${PROFILES.toLocaleString('en-US')} profiles, ${EVENTS.toLocaleString('en-US')} events, ${SAMPLES} requests per target\n`);
  const database = await createBenchDatabase('profiles');
  const query = (text: string, values?: unknown[]) => database.dataSource.query(text, values);
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    const generated = await generate(query);
    printTable([generated]);
    const { secret, prefix, hash } = generateApiKey('admin');
    await database.dataSource.getRepository(ApiKeyEntity).save({ name: 'bench admin', role: 'admin', prefix, keyHash: hash });
    api = await startApi({ DATABASE_URL: database.url, AK_ADMIN_RATE_LIMIT: '0', AK_REALTIME: 'false' });
    const created = await fetch(`${api.url}/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        key: 'cart-abandoners',
        name: 'Cart abandoners',
        owner: 'bench',
        definition: {
          type: 'rules',
          match: {
            type: 'all',
            conditions: [
              { type: 'event', event: 'Product Added', window: 'last 30 days' },
              { type: 'not', condition: { type: 'event', event: 'Order Completed', window: 'last 30 days' } },
              {
                type: 'event',
                event: 'Product Viewed',
                window: 'last 90 days',
                aggregate: { function: 'sum', property: 'revenue', operator: 'gte', value: 100 },
              },
              { type: 'trait', trait: 'plan', operator: 'in', value: ['pro', 'team'] },
            ],
          },
        },
      }),
    });
    if (created.status !== 201) throw new Error(`segment create: ${created.status} ${await created.text()}`);

    const numbers = sampleNumbers(SAMPLES);
    const live = (n: number) => (n % 10 === 0 ? n - 1 : n) || 1;
    const ids = (await query(`SELECT ${uuidOf("'p' || n")} AS id FROM unnest($1::int[]) AS n`, [numbers.map(live)])) as { id: string }[];
    // Warm-up (JIT, pools, caches of the first pages), not measured.
    await measure(
      'warm-up',
      api.url,
      secret,
      [...Array(200)].map((_, i) => `/profiles/${ids[i % ids.length].id}/explain?segment=cart-abandoners`),
    );
    await measure(
      'warm-up',
      api.url,
      secret,
      [...Array(200)].map(() => '/health'),
    );

    const results = [
      await measure(
        'GET /health (baseline)',
        api.url,
        secret,
        numbers.map(() => '/health'),
      ),
      await measure(
        'lookup by email',
        api.url,
        secret,
        numbers.map((n) => `/profiles/lookup?email=USER${n}%40Example.com`),
      ),
      await measure(
        'lookup by user id',
        api.url,
        secret,
        numbers.map((n) => `/profiles/lookup?userId=user-${n}`),
      ),
      await measure(
        'lookup, merged anonymous id',
        api.url,
        secret,
        numbers.map((n) => `/profiles/lookup?anonymousId=anon-${n - (n % 10) || 10}`),
      ),
      await measure(
        'profile detail',
        api.url,
        secret,
        ids.map(({ id }) => `/profiles/${id}`),
      ),
      await measure(
        'events page (50)',
        api.url,
        secret,
        ids.map(({ id }) => `/profiles/${id}/events?limit=50`),
      ),
      await measure(
        'explain (rules, 4 conditions)',
        api.url,
        secret,
        ids.map(({ id }) => `/profiles/${id}/explain?segment=cart-abandoners`),
      ),
    ];
    const health = [...results[0].samples].sort((a, b) => a - b);
    printTable(
      results.map(({ target, samples, failures }) => {
        const sorted = [...samples].sort((a, b) => a - b);
        return {
          target,
          requests: samples.length,
          failures,
          'p50 ms': quantile(sorted, 0.5),
          'p99 ms': quantile(sorted, 0.99),
          'mean ms': samples.reduce((sum, value) => sum + value, 0) / samples.length,
          'p99 / health p99': quantile(sorted, 0.99) / quantile(health, 0.99),
        };
      }),
    );
    const failed = results.reduce((sum, result) => sum + result.failures, 0);
    if (failed > 0) throw new Error(`${failed} requests failed`);
    printTable([await measureExport(query, api, secret)]);
  } finally {
    await api?.stop();
    await database.drop();
  }
}

/**
 * The member export at full size: every profile becomes a member of the bench segment, then the
 * CSV is streamed over HTTP and counted. The API's RSS (VmRSS of its process) is sampled every
 * 50 ms while it streams: flat memory means the peak stays near the value before the request.
 */
async function measureExport(
  query: (text: string, values?: unknown[]) => Promise<unknown>,
  api: { url: string; pid: number },
  key: string,
): Promise<Record<string, number | string>> {
  const [{ id: segmentId }] = (await query(`SELECT id FROM segments WHERE key = 'cart-abandoners'`)) as { id: string }[];
  await query(
    `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, id, now(), NULL FROM profiles ON CONFLICT DO NOTHING`,
    [segmentId],
  );
  const rssBefore = rssMiB(api.pid);
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(api.pid))), 50);
  let bytes = 0;
  let rows = 0;
  try {
    const seconds = await seconds_(async () => {
      const response = await fetch(`${api.url}/segments/${segmentId}/members/export?identifiers=email,user_id`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (response.status !== 200 || !response.body) throw new Error(`export: ${response.status} ${await response.text()}`);
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 10) rows += 1;
      }
    });
    return {
      target: 'member export (email, user_id)',
      rows: rows - 1,
      'MB of CSV': bytes / 1e6,
      seconds,
      'rows/s': (rows - 1) / seconds,
      'API RSS before MiB': rssBefore,
      'API peak RSS MiB': peak,
    };
  } finally {
    clearInterval(sampler);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
