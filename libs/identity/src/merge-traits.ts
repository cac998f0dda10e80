/** A profile's traits with, per trait, the event time of the value held (ISO 8601). */
export interface TraitState {
  traits: Record<string, unknown>;
  /**
   * Per trait, when its value was recorded. Consent is kept per channel: `consent.<channel>`
   * (see `CONSENT_TRAITS`).
   */
  timestamps: Record<string, string>;
}

export interface TraitMerge {
  state: TraitState;
  /** False when nothing changed (the caller can skip the write). */
  changed: boolean;
}

/**
 * Traits that record consent, as activation reads them (libs/activation-engine `eligibility.ts`):
 * `unsubscribed: true` opts out of everything, `consent.<channel>: false` out of one channel.
 * Anything else in them counts as an opt-in.
 */
export const CONSENT_TRAITS = ['unsubscribed', 'consent'] as const;

/**
 * Applies an identify call's traits observed at `at` and received at `receivedAt` (defaults to
 * `at`): per trait, last write wins **by event time**, so an older identify arriving late never
 * overwrites a newer value. On equal times the incoming value wins (arrival order breaks ties).
 * A trait without a recorded time counts as oldest.
 *
 * Consent is monotonic by receipt instead: an opt-out (`unsubscribed: true`, `consent.<channel>:
 * false`) always applies, whatever the client's clock says, and is recorded at the latest of its
 * event time, its receipt and the time held; an opt-in applies only when its event time is later
 * than that. A `consent` value that is not an object changes no channel.
 *
 * @example
 * applyTraits({ traits: { plan: 'pro' }, timestamps: { plan: '2024-05-02T00:00:00.000Z' } }, { plan: 'free', age: 40 }, '2024-05-01T00:00:00Z')
 * // → traits { plan: 'pro', age: 40 }: plan is older than the value held, age is new
 */
export function applyTraits(
  state: TraitState,
  incoming: Record<string, unknown>,
  at: Date | string,
  receivedAt: Date | string = at,
): TraitMerge {
  const time = toIso(at);
  const timestamps: Record<string, string> = {};
  let hasConsent = false;
  for (const key of Object.keys(incoming)) {
    if (isConsentTrait(key)) hasConsent = true;
    else timestamps[key] = time;
  }
  if (hasConsent) recordConsentTimes(state, incoming, timestamps, Date.parse(time), Date.parse(toIso(receivedAt)));
  return mergeTraitStates(state, { traits: incoming, timestamps });
}

/**
 * Merges `incoming` into `base` trait by trait, keeping the value with the later event time (ties:
 * incoming). Used for identify calls and when one profile absorbs another. Consent values are
 * judged per channel, and on equal times the opt-out wins.
 */
export function mergeTraitStates(base: TraitState, incoming: TraitState): TraitMerge {
  const traits = { ...base.traits };
  const timestamps = { ...base.timestamps };
  let changed = false;
  for (const [key, value] of Object.entries(incoming.traits)) {
    if (isConsentTrait(key)) {
      if (mergeConsent(key, value, traits, timestamps, incoming.timestamps)) changed = true;
      continue;
    }
    const held = timeOf(base.timestamps[key]);
    const offered = timeOf(incoming.timestamps[key]);
    if (key in base.traits && offered < held) continue;
    if (!(key in traits) || !sameJson(traits[key], value) || timestamps[key] !== incoming.timestamps[key]) changed = true;
    traits[key] = value;
    if (incoming.timestamps[key] !== undefined) timestamps[key] = incoming.timestamps[key];
  }
  return { state: { traits, timestamps }, changed };
}

function isConsentTrait(key: string): key is (typeof CONSENT_TRAITS)[number] {
  return key === 'unsubscribed' || key === 'consent';
}

/** The timestamp key of one consent value: `unsubscribed`, or `consent.<channel>`. */
function consentKey(trait: string, channel?: string): string {
  return channel === undefined ? trait : `${trait}.${channel}`;
}

/** Sets the recorded time of each incoming consent value (see `applyTraits`). */
function recordConsentTimes(
  state: TraitState,
  incoming: Record<string, unknown>,
  timestamps: Record<string, string>,
  eventTime: number,
  receivedTime: number,
): void {
  const record = (key: string, optOut: boolean, fallback?: string) => {
    const held = timeOf(state.timestamps[key] ?? (fallback === undefined ? undefined : state.timestamps[fallback]));
    timestamps[key] = new Date(optOut ? Math.max(eventTime, receivedTime, held) : eventTime).toISOString();
  };
  if ('unsubscribed' in incoming) record('unsubscribed', incoming['unsubscribed'] === true);
  const consent = incoming['consent'];
  if (isPlainObject(consent)) {
    for (const [channel, value] of Object.entries(consent)) record(consentKey('consent', channel), value === false, 'consent');
  }
}

/**
 * Merges one consent trait into `traits` / `timestamps` (changed in place); returns whether
 * anything changed. Per value, the later recorded time wins; on a tie, the opt-out.
 */
function mergeConsent(
  trait: 'unsubscribed' | 'consent',
  offered: unknown,
  traits: Record<string, unknown>,
  timestamps: Record<string, string>,
  offeredTimes: Record<string, string>,
): boolean {
  if (trait === 'unsubscribed') {
    const wins = consentWins(
      trait in traits,
      traits[trait] === true,
      timeOf(timestamps[trait]),
      offered === true,
      timeOf(offeredTimes[trait]),
    );
    if (!wins) return false;
    const changed = !(trait in traits) || !sameJson(traits[trait], offered) || timestamps[trait] !== offeredTimes[trait];
    traits[trait] = offered;
    if (offeredTimes[trait] !== undefined) timestamps[trait] = offeredTimes[trait];
    return changed;
  }
  if (!isPlainObject(offered)) return false;
  const heldObject = isPlainObject(traits[trait]) ? (traits[trait] as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...heldObject };
  let changed = !isPlainObject(traits[trait]);
  for (const [channel, value] of Object.entries(offered)) {
    const key = consentKey(trait, channel);
    const heldTime = timeOf(timestamps[key] ?? timestamps[trait]);
    const offeredTime = timeOf(offeredTimes[key] ?? offeredTimes[trait]);
    if (!consentWins(channel in heldObject, heldObject[channel] === false, heldTime, value === false, offeredTime)) continue;
    if (!(channel in merged) || !sameJson(merged[channel], value) || timestamps[key] !== offeredTimes[key]) changed = true;
    merged[channel] = value;
    const recorded = offeredTimes[key] ?? offeredTimes[trait];
    if (recorded !== undefined) timestamps[key] = recorded;
  }
  traits[trait] = merged;
  return changed;
}

/** Whether an offered consent value replaces the held one: the later recorded; on a tie, an opt-out. */
function consentWins(held: boolean, heldOptOut: boolean, heldTime: number, offeredOptOut: boolean, offeredTime: number): boolean {
  if (!held || offeredTime > heldTime) return true;
  if (offeredTime < heldTime) return false;
  return offeredOptOut || !heldOptOut;
}

function toIso(at: Date | string): string {
  return typeof at === 'string' ? new Date(at).toISOString() : at.toISOString();
}

function timeOf(iso: string | undefined): number {
  const time = iso === undefined ? Number.NEGATIVE_INFINITY : Date.parse(iso);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
