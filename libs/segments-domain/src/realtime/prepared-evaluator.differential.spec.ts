import { randomContext, randomLocationCondition, randomMessageType, withContext } from '@audiencekit/testing';
import { mulberry32 } from '@audiencekit/util';
import { Condition, RulesDefinition } from '../rules/definition.schema';
import { ProfileEvaluator } from '../rules/evaluate';
import { changeInstants } from './change-instants';
import { RealtimeProfile, RealtimeVerdict, evaluateProfileRealtime } from './evaluate-realtime';
import { RealtimeSegment, orderByReferences, realtimeReferenceEdges } from './order-by-references';
import { prepareRealtimeSegments } from './prepare-realtime';

/**
 * The prepared evaluator (compiled segments, sorted events, binary search, prefix sums, lazy
 * verdicts) against the plain one it replaced: `ProfileEvaluator` + `changeInstants` evaluating
 * every segment at every candidate instant, the algorithm below kept as the reference. Verdicts and
 * next-change instants must be identical, budget cut-offs included, for the segment list and for
 * the prepared set alike.
 */
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOWS = [
  'last 30 minutes',
  'last 2 hours',
  'last 1 days',
  'last 3 days',
  'ever',
  `between ${iso(NOW - DAY)} and ${iso(NOW + DAY / 2)}`,
];
const NAMES = ['Product Added', 'Order Completed', 'Segment Entered', 'Page Viewed'];
const COMPARISONS = ['gt', 'gte', 'lt', 'lte', 'between'] as const;
const COUNTS = ['at_least', 'at_most', 'exactly'] as const;

type Draw = { int: (min: number, max: number) => number; pick: <T>(items: readonly T[]) => T; chance: (p: number) => boolean };

function drawFrom(seed: number): Draw {
  const next = mulberry32(seed);
  return {
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

function randomLeaf(draw: Draw, references: readonly string[]): Condition {
  const leaf = draw.int(0, 11);
  if (leaf >= 10) return randomLifecycle(draw);
  if (leaf === 0) return { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' };
  if (leaf <= 4) {
    const base = { type: 'event' as const, event: draw.pick(NAMES), window: draw.pick(WINDOWS) };
    const where = draw.chance(0.2) ? [{ property: 'category', operator: 'equals' as const, value: 'shoes' }] : undefined;
    if (draw.chance(0.4)) {
      const operator = draw.pick(COMPARISONS);
      const value = draw.pick([0, 10, 12.5, 25, 40]);
      const fn = draw.pick(['sum', 'avg', 'min', 'max'] as const);
      return {
        ...base,
        where,
        aggregate: { function: fn, property: 'revenue', operator, value: operator === 'between' ? [value, value + 15] : value },
      };
    }
    return { ...base, where, count: { operator: draw.pick(COUNTS), value: draw.int(0, 3) } };
  }
  if (leaf === 5)
    return {
      type: 'frequency',
      event: draw.chance(0.5) ? draw.pick(NAMES) : undefined,
      window: draw.pick(WINDOWS),
      operator: draw.pick(COUNTS),
      value: draw.int(0, 3),
    };
  if (leaf <= 7) {
    const operator = draw.pick(COMPARISONS);
    const days = draw.int(0, 2);
    return {
      type: 'recency',
      event: draw.chance(0.7) ? draw.pick(NAMES) : undefined,
      operator,
      days: operator === 'between' ? [days, days + draw.int(0, 1)] : days,
    };
  }
  const segment = draw.pick(references);
  const side = sideDraw.current;
  return side && side.chance(0.4) ? randomLocationCondition(side, WINDOWS) : { type: 'segment', segment };
}

/**
 * The draws of event context, message types and geography (issue 20) come from a second stream of
 * the same seed, so the cases drawn before are unchanged.
 */
const sideDraw: { current: Draw | undefined } = { current: undefined };

/** sequence, first_time, stopped, regularly over the same names, filters and windows. */
function randomLifecycle(draw: Draw): Condition {
  const where = () => (draw.chance(0.2) ? [{ property: 'category', operator: 'equals' as const, value: 'shoes' }] : undefined);
  const durations = ['30m', '1h', '2 hours', '1d', '2d'];
  switch (draw.int(0, 3)) {
    case 0:
      return {
        type: 'sequence',
        steps: Array.from({ length: draw.int(2, 3) }, () => ({ event: draw.pick(NAMES), where: where() })),
        within: draw.pick(durations),
        window: draw.pick(WINDOWS),
      };
    case 1:
      return { type: 'first_time', event: draw.pick(NAMES), where: where(), window: draw.pick(WINDOWS) };
    case 2:
      return { type: 'stopped', event: draw.pick(NAMES), where: where(), active: draw.pick(durations), quiet: draw.pick(durations) };
    default:
      return {
        type: 'regularly',
        event: draw.pick(NAMES),
        where: where(),
        window: draw.pick(WINDOWS),
        per: draw.pick(['day', 'week'] as const),
        atLeast: draw.int(1, 3),
      };
  }
}

function randomCondition(draw: Draw, depth: number, references: readonly string[]): Condition {
  if (depth < 2 && draw.chance(0.35)) {
    const conditions = Array.from({ length: draw.int(1, 3) }, () => randomCondition(draw, depth + 1, references));
    return draw.chance(0.5) ? { type: 'all', conditions } : { type: 'any', conditions };
  }
  if (depth < 2 && draw.chance(0.1)) return { type: 'not', condition: randomCondition(draw, depth + 1, references) };
  const leaf = randomLeaf(draw, references);
  return sideDraw.current ? withContext(sideDraw.current, leaf) : leaf;
}

function randomCase(seed: number): { segments: RealtimeSegment[]; profile: RealtimeProfile; maxCandidates: number } {
  const draw = drawFrom(seed);
  const side = drawFrom((seed ^ 0x2020c0de) >>> 0);
  sideDraw.current = side;
  const segments: RealtimeSegment[] = [];
  for (let index = 0; index < draw.int(1, 5); index++) {
    const references = ['batch-in', 'batch-out', ...segments.flatMap((segment) => [segment.id, segment.key])];
    const definition: RulesDefinition = { type: 'rules', match: randomCondition(draw, 0, references) };
    segments.push({ id: `id-${index}`, key: `key-${index}`, definition });
  }
  const events = Array.from({ length: draw.int(0, 25) }, () => {
    const offset = draw.chance(0.3) ? draw.int(-3, 3) * draw.pick([MINUTE * 30, HOUR, DAY]) : draw.int(-4 * DAY, 2 * DAY);
    const timestamp = NOW + offset + (draw.chance(0.05) ? 0.25 : 0);
    const revenue = draw.pick<unknown>([5, 10, 12.5, 0.1, 20, '7', undefined]);
    const name = draw.pick(NAMES);
    return {
      name,
      timestamp: draw.chance(0.1) ? new Date(draw.chance(0.1) ? Number.NaN : timestamp) : timestamp,
      properties: { revenue, category: draw.pick(['shoes', 'shirts']) },
      type: randomMessageType(side, name),
      context: randomContext(side),
    };
  });
  sideDraw.current = undefined;
  return {
    segments: draw.chance(0.5) ? [...segments].reverse() : segments,
    profile: { traits: draw.chance(0.5) ? { plan: 'pro' } : {}, events, otherSegments: new Set(['batch-in']) },
    maxCandidates: draw.pick([1, 2, 3, 5, 256]),
  };
}

/** The plain evaluator, as evaluateProfileRealtime was before segment sets were prepared. */
function reference(segments: readonly RealtimeSegment[], profile: RealtimeProfile, now: number, maxCandidates: number): RealtimeVerdict[] {
  const ordered = orderByReferences(segments);
  const evaluator = new ProfileEvaluator(profile);
  const verdictsAt = (instant: number) => {
    const memberships = new Set(profile.otherSegments);
    return ordered.map((segment) => {
      const matches = evaluator.matches(segment.definition.match, instant, memberships);
      if (matches) memberships.add(segment.id).add(segment.key);
      return matches;
    });
  };
  const matches = verdictsAt(now);
  const edges = realtimeReferenceEdges(ordered);
  const relevant: Set<number>[] = [];
  ordered.forEach((segment, index) => {
    const own = new Set<number>();
    changeInstants(segment.definition.match, evaluator, now, own);
    for (const other of edges[index]) for (const instant of relevant[other]) own.add(instant);
    relevant.push(own);
  });
  const remaining = relevant.map((instants) => instants.size);
  const next: (number | null)[] = ordered.map(() => null);
  const open = new Set(ordered.flatMap((_, index) => (remaining[index] > 0 ? [index] : [])));
  const candidates = [...new Set(relevant.flatMap((instants) => [...instants]))].sort((a, b) => a - b);
  let examined = 0;
  for (const instant of candidates) {
    if (open.size === 0) break;
    if (![...open].some((index) => relevant[index].has(instant))) continue;
    examined++;
    const verdicts = verdictsAt(instant);
    for (const index of [...open]) {
      if (verdicts[index] !== matches[index]) {
        next[index] = instant;
        open.delete(index);
      } else if (relevant[index].has(instant) && --remaining[index] === 0) open.delete(index);
    }
    if (examined === maxCandidates) {
      for (const index of open) next[index] = instant;
      break;
    }
  }
  const position = new Map(ordered.map((segment, index) => [segment.id, index]));
  return segments.map((segment) => {
    const index = position.get(segment.id) as number;
    return { segmentId: segment.id, matches: matches[index], nextChangeAt: next[index] };
  });
}

describe('prepared real-time evaluator against the plain one', () => {
  it('gives identical verdicts and next changes on 1,500 random cases, list and prepared set alike', () => {
    const failures: string[] = [];
    let changes = 0;
    let aggregates = 0;
    let contextGeo = 0;
    let locationChanges = 0;
    for (let seed = 1; seed <= 1_500; seed++) {
      const { segments, profile, maxCandidates } = randomCase(seed);
      const expected = reference(segments, profile, NOW, maxCandidates);
      const plain = evaluateProfileRealtime(segments, profile, new Date(NOW), { maxCandidates });
      const prepared = evaluateProfileRealtime(prepareRealtimeSegments(segments), profile, new Date(NOW), { maxCandidates });
      if (JSON.stringify(plain) !== JSON.stringify(expected)) failures.push(`seed ${seed} (list): ${JSON.stringify({ plain, expected })}`);
      if (JSON.stringify(prepared) !== JSON.stringify(expected))
        failures.push(`seed ${seed} (prepared): ${JSON.stringify({ prepared, expected })}`);
      changes += expected.filter((verdict) => verdict.nextChangeAt !== null).length;
      aggregates += JSON.stringify(segments).includes('aggregate') ? 1 : 0;
      if (/"type":"location"|"messageType"|"context"|"near"/.test(JSON.stringify(segments))) {
        contextGeo += 1;
        if (JSON.stringify(segments).includes('"type":"location"'))
          locationChanges += expected.filter((verdict) => verdict.nextChangeAt !== null).length;
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The generator must exercise changes and aggregates, or the comparison proves little.
    expect(changes).toBeGreaterThan(1_000);
    expect(aggregates).toBeGreaterThan(300);
    expect(contextGeo).toBeGreaterThan(600);
    expect(locationChanges).toBeGreaterThan(200);
  });

  it('reuses one prepared set across profiles, and refuses a cycle when preparing', () => {
    const { segments } = randomCase(7);
    const prepared = prepareRealtimeSegments(segments);
    for (let seed = 100; seed < 150; seed++) {
      const { profile } = randomCase(seed);
      expect(evaluateProfileRealtime(prepared, profile, new Date(NOW))).toEqual(reference(segments, profile, NOW, 256));
    }
    const loop = (id: string, other: string): RealtimeSegment => ({
      id,
      key: id,
      definition: { type: 'rules', match: { type: 'segment', segment: other } },
    });
    expect(() => prepareRealtimeSegments([loop('a', 'b'), loop('b', 'a')])).toThrow(/cycle: /);
  });
});
