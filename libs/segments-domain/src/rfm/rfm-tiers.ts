import defaultTable from './default-rfm-tiers.json';

/** An inclusive range of quintile scores, 1–5. */
export type ScoreRange = [number, number];

/**
 * One row of an RFM tier table: a tier and the score ranges it covers. Absent ranges mean 1–5;
 * `fm` is the mean of F and M rounded half up (`floor((f + m + 1) / 2)`), the usual way to read
 * "frequency and monetary" on one axis.
 */
export interface RfmTierRule {
  key: string;
  name: string;
  r?: ScoreRange;
  f?: ScoreRange;
  m?: ScoreRange;
  fm?: ScoreRange;
  /** The recommended play, for people reading the segment. */
  action?: string;
}

/**
 * The default tier table (`default-rfm-tiers.json`, data rather than code, read by the fixture
 * script too): Champions, Loyal, Potential loyalist, New, Promising, Needs attention, About to
 * sleep, At-risk high-value, At risk, Hibernating, Low-value dormant. A definition may replace it
 * with its own `tierTable`.
 */
export const DEFAULT_RFM_TIERS: readonly RfmTierRule[] = defaultTable.tiers as RfmTierRule[];

/** Every (r, f, m) score triple, 125 of them. */
export function allScoreTriples(): [number, number, number][] {
  const triples: [number, number, number][] = [];
  for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) triples.push([r, f, m]);
  return triples;
}

/** The tier of one score triple: the first rule whose ranges all contain it, or undefined. */
export function rfmTierOf(table: readonly RfmTierRule[], r: number, f: number, m: number): RfmTierRule | undefined {
  const fm = Math.floor((f + m + 1) / 2);
  const inside = (value: number, range?: ScoreRange) => range === undefined || (value >= range[0] && value <= range[1]);
  return table.find((rule) => inside(r, rule.r) && inside(f, rule.f) && inside(m, rule.m) && inside(fm, rule.fm));
}

/**
 * The score codes (`r·100 + f·10 + m`) that fall in the given tiers: what the SQL filters on, so the
 * table is interpreted in exactly one place.
 */
export function rfmScoreCodes(table: readonly RfmTierRule[], tiers: readonly string[]): number[] {
  const wanted = new Set(tiers);
  return allScoreTriples()
    .filter(([r, f, m]) => {
      const tier = rfmTierOf(table, r, f, m);
      return tier !== undefined && wanted.has(tier.key);
    })
    .map(([r, f, m]) => r * 100 + f * 10 + m);
}

/** Why a tier table cannot be used (duplicate keys, bad ranges, a score triple no rule covers), or undefined. */
export function rfmTierTableProblem(table: readonly RfmTierRule[]): string | undefined {
  const keys = new Set<string>();
  for (const rule of table) {
    if (keys.has(rule.key)) return `has the tier key "${rule.key}" twice`;
    keys.add(rule.key);
    for (const axis of ['r', 'f', 'm', 'fm'] as const) {
      const range = rule[axis];
      if (range && !(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] >= 1 && range[1] <= 5 && range[0] <= range[1])) {
        return `tier "${rule.key}": ${axis} must be [low, high] with 1 ≤ low ≤ high ≤ 5`;
      }
    }
  }
  const uncovered = allScoreTriples().filter(([r, f, m]) => rfmTierOf(table, r, f, m) === undefined);
  if (uncovered.length > 0) {
    const shown = uncovered.slice(0, 5).map(([r, f, m]) => `r${r} f${f} m${m}`);
    return `leaves ${uncovered.length} score combination(s) without a tier (e.g. ${shown.join(', ')}); end it with a catch-all rule`;
  }
  return undefined;
}
