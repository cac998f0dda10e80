/**
 * The pure real-time evaluator alone (no database, no worker): `evaluateProfileRealtime` of
 * libs/segments-domain per profile against 20 real-time segments like `bench/realtime.bench.ts`'s
 * (the three seed examples, windows from 1 hour to 90 days, a sum aggregate, recency, five nested
 * references), on synthetic profiles of 5–200 events over 120 days.
 *
 * Baseline in the same process: `bench/lib/baseline-evaluator.ts`, the pre-optimisation copy of the
 * evaluator. Every verdict of every row is checked equal to the baseline's; the bench fails otherwise.
 *
 *   npm run bench -- realtime-eval                         # 2,000 profiles, 3 rounds
 *   npm run bench -- realtime-eval --profiles=500 --rounds=1
 */
import { isDeepStrictEqual } from 'node:util';
import { mulberry32 } from '@audiencekit/util';
import {
  EXAMPLE_SEGMENTS,
  RealtimeProfile,
  RealtimeSegment,
  RealtimeVerdict,
  RulesDefinition,
  evaluateProfileRealtime,
  parseSegmentDefinition,
  prepareRealtimeSegments,
} from '@audiencekit/segments-domain';
import { evaluateProfileRealtime as baselineEvaluate } from './lib/baseline-evaluator';
import { printTable } from './lib/report';

const PROFILES = Number(argument('profiles') ?? 2_000);
const ROUNDS = Number(argument('rounds') ?? 3);
const SEED = Number(argument('seed') ?? 42);
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

// The 20 segments of bench/realtime.bench.ts (a referenced segment before the ones referring to it).
const cart = (hours: number) => ({
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      { type: 'event', event: 'Product Added', window: `last ${hours} hours` },
      { type: 'event', event: 'Order Completed', window: `last ${hours} hours`, count: { operator: 'exactly', value: 0 } },
    ],
  },
});
const ref = (segment: string) => ({ type: 'segment', segment });
const rules = (match: unknown) => ({ type: 'rules', match });
const DEFINITIONS: { key: string; definition: unknown }[] = [
  { key: EXAMPLE_SEGMENTS.cartAbandoner.key, definition: EXAMPLE_SEGMENTS.cartAbandoner.definition },
  { key: EXAMPLE_SEGMENTS.vip.key, definition: EXAMPLE_SEGMENTS.vip.definition },
  { key: EXAMPLE_SEGMENTS.winBack.key, definition: EXAMPLE_SEGMENTS.winBack.definition },
  { key: 'cart-1h', definition: cart(1) },
  { key: 'cart-24h', definition: cart(24) },
  { key: 'cart-72h', definition: cart(72) },
  { key: 'browsed-1h', definition: rules({ type: 'event', event: 'Page Viewed', window: 'last 1 hours' }) },
  {
    key: 'browser-7d',
    definition: rules({ type: 'frequency', event: 'Page Viewed', window: 'last 7 days', operator: 'at_least', value: 3 }),
  },
  { key: 'buyer-30d', definition: rules({ type: 'event', event: 'Order Completed', window: 'last 30 days' }) },
  { key: 'buyer-90d', definition: rules({ type: 'event', event: 'Order Completed', window: 'last 90 days' }) },
  {
    key: 'repeat-buyer-90d',
    definition: rules({ type: 'event', event: 'Order Completed', window: 'last 90 days', count: { operator: 'at_least', value: 2 } }),
  },
  {
    key: 'big-spender-30d',
    definition: rules({
      type: 'event',
      event: 'Order Completed',
      window: 'last 30 days',
      aggregate: { function: 'sum', property: 'revenue', operator: 'gt', value: 300 },
    }),
  },
  { key: 'lapsed-30d', definition: rules({ type: 'recency', event: 'Order Completed', operator: 'gte', days: 30 }) },
  { key: 'lapsed-60d', definition: rules({ type: 'recency', event: 'Order Completed', operator: 'gte', days: 60 }) },
  {
    key: 'active-14d',
    definition: rules({
      type: 'any',
      conditions: [
        { type: 'event', event: 'Page Viewed', window: 'last 14 days' },
        { type: 'event', event: 'Product Added', window: 'last 14 days' },
      ],
    }),
  },
  {
    key: 'window-shopper-1h',
    definition: rules({
      type: 'all',
      conditions: [
        { type: 'event', event: 'Page Viewed', window: 'last 1 hours', count: { operator: 'at_least', value: 2 } },
        { type: 'event', event: 'Product Added', window: 'last 1 hours', count: { operator: 'exactly', value: 0 } },
      ],
    }),
  },
  { key: 'engaged-buyer', definition: rules({ type: 'all', conditions: [ref('buyer-30d'), ref('browser-7d')] }) },
  { key: 'vip-cart', definition: rules({ type: 'all', conditions: [ref('vip'), ref('cart-abandoner')] }) },
  { key: 'new-cart-1h', definition: rules({ type: 'all', conditions: [ref('cart-1h'), { type: 'not', condition: ref('buyer-90d') }] }) },
  { key: 'at-risk', definition: rules({ type: 'any', conditions: [ref('lapsed-60d'), ref('engaged-buyer')] }) },
];

const SEGMENTS: RealtimeSegment[] = DEFINITIONS.map(({ key, definition }, index) => ({
  id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  key,
  definition: parseSegmentDefinition(definition) as RulesDefinition,
}));

/** Profiles of 5–200 events over 120 days (a few in the last hours, so the 1-hour windows see some). */
function syntheticProfiles(count: number, seed: number): RealtimeProfile[] {
  const random = mulberry32(seed);
  const names = ['Page Viewed', 'Page Viewed', 'Page Viewed', 'Product Added', 'Product Added', 'Order Completed', 'Segment Entered'];
  return Array.from({ length: count }, () => {
    const size = 5 + Math.floor(random() * 196);
    const events = Array.from({ length: size }, () => {
      const name = names[Math.floor(random() * names.length)];
      const age = random() < 0.1 ? random() * 2 * HOUR : random() * 120 * DAY;
      const properties = name === 'Order Completed' ? { revenue: Math.round(random() * 50_000) / 100 } : {};
      return { name, timestamp: Math.round(NOW - age), properties };
    });
    return { traits: {}, events, otherSegments: new Set<string>() };
  });
}

interface Row {
  label: string;
  evaluate: (profile: RealtimeProfile) => RealtimeVerdict[];
}

/** Per-profile microseconds of one pass over every profile; the verdicts for the check. */
function pass(row: Row, profiles: RealtimeProfile[]): { micros: number[]; verdicts: RealtimeVerdict[][] } {
  const micros: number[] = [];
  const verdicts: RealtimeVerdict[][] = [];
  for (const profile of profiles) {
    const start = process.hrtime.bigint();
    verdicts.push(row.evaluate(profile));
    micros.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  return { micros, verdicts };
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

function main(): void {
  const profiles = syntheticProfiles(PROFILES, SEED);
  const now = new Date(NOW);
  const prepared = prepareRealtimeSegments(SEGMENTS);
  const rows: Row[] = [
    { label: 'baseline (pre-optimisation copy)', evaluate: (profile) => baselineEvaluate(SEGMENTS, profile, now) },
    { label: 'evaluateProfileRealtime(segments)', evaluate: (profile) => evaluateProfileRealtime(SEGMENTS, profile, now) },
    { label: 'evaluateProfileRealtime(prepared)', evaluate: (profile) => evaluateProfileRealtime(prepared, profile, now) },
  ];
  const events = profiles.reduce((sum, profile) => sum + profile.events.length, 0);
  console.log(
    `${PROFILES} profiles (${events} events, ${(events / PROFILES).toFixed(1)} per profile), ${SEGMENTS.length} segments, ${ROUNDS} rounds`,
  );

  // Warm-up (JIT) and the check: every row's verdicts equal the baseline's, profile by profile.
  const reference = pass(rows[0], profiles).verdicts;
  for (const row of rows.slice(1)) {
    const { verdicts } = pass(row, profiles);
    const wrong = verdicts.findIndex((verdict, index) => !isDeepStrictEqual(verdict, reference[index]));
    if (wrong >= 0) {
      console.error(`${row.label}: profile ${wrong} differs from the baseline`, verdicts[wrong], reference[wrong]);
      process.exit(1);
    }
  }

  // Rounds alternate the rows, so a noisy moment of the shared machine hits them all alike.
  const micros = rows.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    rows.forEach((row, index) => {
      (global as { gc?: () => void }).gc?.();
      micros[index].push(...pass(row, profiles).micros);
    });
  }
  const summaries = micros.map((all) => {
    const sorted = [...all].sort((a, b) => a - b);
    const total = all.reduce((sum, value) => sum + value, 0);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: total / all.length, perSecond: all.length / (total / 1e6) };
  });
  const base = summaries[0];
  printTable(
    rows.map((row, index) => ({
      evaluator: row.label,
      'p50 µs': summaries[index].p50,
      'p99 µs': summaries[index].p99,
      'mean µs': summaries[index].mean,
      'profiles/s': Math.round(summaries[index].perSecond),
      'baseline mean / mean': base.mean / summaries[index].mean,
    })),
  );
  console.log("verdicts of every row equal the baseline's for every profile");
}

main();
