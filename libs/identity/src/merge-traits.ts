/** A profile's traits with, per trait, the event time of the value held (ISO 8601). */
export interface TraitState {
  traits: Record<string, unknown>;
  timestamps: Record<string, string>;
}

export interface TraitMerge {
  state: TraitState;
  /** False when nothing changed (the caller can skip the write). */
  changed: boolean;
}

/**
 * Applies an identify call's traits observed at `at`: per trait, last write wins **by event time**,
 * so an older identify arriving late never overwrites a newer value. On equal times the incoming
 * value wins (arrival order breaks ties). A trait without a recorded time counts as oldest.
 *
 * @example
 * applyTraits({ traits: { plan: 'pro' }, timestamps: { plan: '2024-05-02T00:00:00.000Z' } }, { plan: 'free', age: 40 }, '2024-05-01T00:00:00Z')
 * // → traits { plan: 'pro', age: 40 }: plan is older than the value held, age is new
 */
export function applyTraits(state: TraitState, incoming: Record<string, unknown>, at: Date | string): TraitMerge {
  const time = typeof at === 'string' ? new Date(at).toISOString() : at.toISOString();
  const timestamps: Record<string, string> = {};
  for (const key of Object.keys(incoming)) timestamps[key] = time;
  return mergeTraitStates(state, { traits: incoming, timestamps });
}

/**
 * Merges `incoming` into `base` trait by trait, keeping the value with the later event time (ties:
 * incoming). Used for identify calls and when one profile absorbs another.
 */
export function mergeTraitStates(base: TraitState, incoming: TraitState): TraitMerge {
  const traits = { ...base.traits };
  const timestamps = { ...base.timestamps };
  let changed = false;
  for (const [key, value] of Object.entries(incoming.traits)) {
    const held = timeOf(base.timestamps[key]);
    const offered = timeOf(incoming.timestamps[key]);
    if (key in base.traits && offered < held) continue;
    if (!(key in traits) || !sameJson(traits[key], value) || timestamps[key] !== incoming.timestamps[key]) changed = true;
    traits[key] = value;
    if (incoming.timestamps[key] !== undefined) timestamps[key] = incoming.timestamps[key];
  }
  return { state: { traits, timestamps }, changed };
}

function timeOf(iso: string | undefined): number {
  const time = iso === undefined ? Number.NEGATIVE_INFINITY : Date.parse(iso);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
