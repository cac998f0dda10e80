import { Identifier, IDENTIFIER_TYPES, identifierKey, IdentifierType } from './identifier';
import { MergeCaps } from './merge-caps';

/** One message as stitching sees it. */
export interface StitchMessage {
  /** Normalised identifiers, strongest first (see `extractIdentifiers`). At least one. */
  identifiers: readonly Identifier[];
  /**
   * An alias call's `previousId`: resolved as a known user id, else as an anonymous id. An alias is
   * an explicit instruction from the source that two ids are one person, so it is not capped.
   */
  previousId?: string | null;
  /**
   * From a source that anyone may hold the key of (a browser's write key): the message may not
   * add a user id, email or phone to a profile that already has one of that kind, whether by
   * attaching it or by merging in a profile that holds one. Such a message is refused whole (a
   * `restricted` refusal, `profileOf` null) and changes nothing.
   */
  restricted?: boolean;
}

/** Identifier kinds a restricted message may not add to a profile already holding one (anonymous ids are per device: browsers add them). */
const GUARDED_TYPES: readonly IdentifierType[] = ['user_id', 'email', 'phone'];

export type IdentifierCounts = Partial<Record<IdentifierType, number>>;

export interface StitchInput {
  messages: readonly StitchMessage[];
  /** identifierKey → id of the live profile holding it, for every identifier already stored. */
  known: ReadonlyMap<string, string>;
  /**
   * How many identifiers of each type the known profiles hold. Needed for the profiles listed by
   * `profilesNeedingCounts`; a decision about a profile missing here throws (a caller bug).
   */
  counts: ReadonlyMap<string, IdentifierCounts>;
  caps: MergeCaps;
  /** Id generator for new profiles (injectable so tests are deterministic). */
  newProfileId: () => string;
}

export type Refusal =
  | { kind: 'attach'; messageIndex: number; identifier: Identifier; profileId: string; cap: number }
  | { kind: 'merge'; messageIndex: number; winner: string; loser: string; identifierType: IdentifierType; cap: number }
  /**
   * A restricted message (see `StitchMessage.restricted`) would have added an `identifierType` to
   * `profileId`, which already has one: by attaching `identifier` (`via: 'attach'`), or by merging
   * in the profile `identifier` belongs to (`via: 'merge'`). The message was not placed.
   */
  | {
      kind: 'restricted';
      messageIndex: number;
      via: 'attach' | 'merge';
      identifier: Identifier;
      identifierType: IdentifierType;
      profileId: string;
    };

export interface StitchPlan {
  /** Per message, the profile its event belongs to (after every merge of this batch); null for a refused restricted message. */
  profileOf: (string | null)[];
  /** Profiles to create (new ones merged away within the batch are left out). */
  newProfiles: string[];
  /** Identifiers to store, each with its final profile. */
  newIdentities: (Identifier & { profileId: string })[];
  /** Existing profiles that merge: `loser.merged_into = winner` (winners are final, never losers). */
  merges: { loser: string; winner: string }[];
  /** What the caps refused, for the log, and the restricted messages refused whole. */
  refusals: Refusal[];
}

/** Every identifier whose stored owner the planner needs: each message's, plus both readings of an alias' previous id. */
export function lookupIdentifiers(messages: readonly StitchMessage[]): Identifier[] {
  const byKey = new Map<string, Identifier>();
  // Plain loops, no per-message arrays: this runs for every message of every batch.
  for (const message of messages) {
    for (const identifier of message.identifiers) byKey.set(identifierKey(identifier), identifier);
    if (message.previousId) for (const identifier of aliasReadings(message.previousId)) byKey.set(identifierKey(identifier), identifier);
  }
  return [...byKey.values()];
}

/**
 * The known profiles whose identifier counts the planner may consult: those seen in a message that
 * brings an unknown identifier or touches more than one profile. Messages whose identifiers all
 * point at one profile (the common case: a known user's next event) need no counts.
 */
export function profilesNeedingCounts(messages: readonly StitchMessage[], known: ReadonlyMap<string, string>): Set<string> {
  const needed = new Set<string>();
  for (const message of messages) {
    // The common message names one known profile through all its identifiers: no allocation then.
    const candidates = message.previousId ? [...message.identifiers, ...aliasReadings(message.previousId)] : message.identifiers;
    let first: string | undefined;
    let several = false;
    let unknown = false;
    for (const identifier of candidates) {
      const profile = known.get(identifierKey(identifier));
      if (!profile) unknown = true;
      else if (first === undefined) first = profile;
      else if (profile !== first) several = true;
    }
    if (!unknown && !several) continue;
    for (const identifier of candidates) {
      const profile = known.get(identifierKey(identifier));
      if (profile) needed.add(profile);
    }
  }
  return needed;
}

/**
 * Decides, for a batch of messages in order, which profile each belongs to, which identifiers to
 * store, which profiles merge and what the caps refuse. Deterministic and free of I/O: the caller
 * reads `known` and `counts` under row locks and applies the plan in the same transaction.
 *
 * Rules, per message:
 * 1. The message belongs to the profile of its strongest known identifier (user id > email > phone
 *    > anonymous id).
 * 2. If its strongest identifier is unknown, it joins the profile of the next known identifier
 *    when that profile has room for it under the cap (anonymous browsing, then login); otherwise a
 *    new profile is created for it (a second person logging in on a shared device).
 * 3. Other unknown identifiers are attached to that profile when the cap allows; refused otherwise.
 * 4. Other known identifiers on a different profile merge that profile into this one, unless the
 *    merged profile would exceed a cap (then refused, both profiles stay apart).
 *
 * @example
 * planStitching({ messages: [{ identifiers: [{ type: 'user_id', value: 'u1' }, { type: 'anonymous_id', value: 'a1' }] }],
 *   known: new Map([['anonymous_id:a1', 'p1']]), counts: new Map([['p1', { anonymous_id: 1 }]]),
 *   caps: DEFAULT_MERGE_CAPS, newProfileId: () => 'new' })
 * // → profileOf ['p1'], newIdentities [{ type: 'user_id', value: 'u1', profileId: 'p1' }]
 * @throws Error when a message has no identifier, or counts are missing for a profile a decision needs.
 */
export function planStitching(input: StitchInput): StitchPlan {
  const state = new StitchState(input);
  const profileOf = input.messages.map((message, index) => state.place(message, index));
  return state.finish(profileOf);
}

/** What a restricted message may not do, before it is known which message it was. */
type Violation = Omit<Extract<Refusal, { kind: 'restricted' }>, 'kind' | 'messageIndex'>;

class StitchState {
  private readonly owner: Map<string, string>;
  private readonly mergedInto = new Map<string, string>();
  private readonly created = new Set<string>();
  private readonly counts = new Map<string, IdentifierCounts>();
  private readonly attached = new Map<string, Identifier & { profileId: string }>();
  private readonly merges: { loser: string; winner: string }[] = [];
  private readonly refusals: Refusal[] = [];
  /** Undo steps of the restricted message being placed (null for the others: nothing to record). */
  private journal: (() => void)[] | null = null;
  /** The first thing the restricted message being placed may not do. */
  private violation: Violation | null = null;
  /**
   * For the restricted message being placed: whether each profile it touched held a user id, email
   * or phone before the message (read once, before the message changes anything). A client source
   * may give a profile its first identifiers (sign-up, login on a new device), never more.
   */
  private heldBeforeMessage = new Map<string, boolean>();

  constructor(private readonly input: StitchInput) {
    this.owner = new Map(input.known);
  }

  /** Places a message; a restricted one that would add a guarded identifier is taken back whole. */
  place(message: StitchMessage, messageIndex: number): string | null {
    if (!message.restricted) return this.placeOnce(message, messageIndex);
    this.journal = [];
    this.violation = null;
    this.heldBeforeMessage.clear();
    const profile = this.placeOnce(message, messageIndex);
    const { journal, violation } = this.takeJournal();
    this.journal = null;
    this.violation = null;
    if (!violation) return profile;
    for (let step = journal.length - 1; step >= 0; step--) journal[step]();
    this.refusals.push({ kind: 'restricted', messageIndex, ...violation });
    return null;
  }

  // A method, not a read of the fields: the compiler would keep them narrowed to the values set before placeOnce.
  private takeJournal(): { journal: (() => void)[]; violation: Violation | null } {
    return { journal: this.journal ?? [], violation: this.violation };
  }

  private placeOnce(message: StitchMessage, messageIndex: number): string {
    const explicit = Boolean(message.previousId);
    const identifiers = [...message.identifiers];
    if (message.previousId) identifiers.push(this.readAlias(message.previousId));
    const [strongest, ...rest] = identifiers;
    if (!strongest) throw new Error(`message ${messageIndex} has no identifier to stitch on`);

    let primary = this.resolve(strongest);
    if (primary === undefined) {
      const host = rest.map((identifier) => this.resolve(identifier)).find((profile) => profile !== undefined);
      primary = host !== undefined && (explicit || this.fits(host, strongest.type)) ? host : this.createProfile();
      this.attachOrRefuse(strongest, primary, messageIndex, explicit);
    }
    for (const identifier of rest) {
      const profile = this.resolve(identifier);
      if (profile === undefined) this.attachOrRefuse(identifier, primary, messageIndex, explicit);
      else if (profile !== primary) this.mergeOrRefuse(primary, profile, identifier, messageIndex, explicit);
    }
    return primary;
  }

  finish(profileOf: (string | null)[]): StitchPlan {
    return {
      profileOf: profileOf.map((profile) => (profile === null ? null : this.find(profile))),
      newProfiles: [...this.created].filter((profile) => !this.mergedInto.has(profile)),
      newIdentities: [...this.attached.values()].map((identity) => ({ ...identity, profileId: this.find(identity.profileId) })),
      merges: this.merges.map(({ loser }) => ({ loser, winner: this.find(loser) })),
      refusals: this.refusals,
    };
  }

  private readAlias(previousId: string): Identifier {
    const asUser: Identifier = { type: 'user_id', value: previousId };
    return this.owner.has(identifierKey(asUser)) ? asUser : { type: 'anonymous_id', value: previousId };
  }

  private find(profile: string): string {
    let current = profile;
    for (let next = this.mergedInto.get(current); next !== undefined; next = this.mergedInto.get(current)) current = next;
    return current;
  }

  private resolve(identifier: Identifier): string | undefined {
    const profile = this.owner.get(identifierKey(identifier));
    return profile === undefined ? undefined : this.find(profile);
  }

  private countsOf(profile: string): IdentifierCounts {
    let counts = this.counts.get(profile);
    if (!counts) {
      const known = this.input.counts.get(profile);
      if (!known) throw new Error(`identifier counts of profile ${profile} were not provided (see profilesNeedingCounts)`);
      counts = { ...known };
      this.counts.set(profile, counts);
    }
    return counts;
  }

  private fits(profile: string, type: IdentifierType, adding = 1): boolean {
    return (this.countsOf(profile)[type] ?? 0) + adding <= this.input.caps[type];
  }

  /** Whether `profile` held a user id, email or phone when the restricted message began. */
  private heldGuardedBefore(profile: string): boolean {
    let held = this.heldBeforeMessage.get(profile);
    if (held === undefined) {
      const counts = this.countsOf(profile);
      held = GUARDED_TYPES.some((type) => (counts[type] ?? 0) >= 1);
      this.heldBeforeMessage.set(profile, held);
    }
    return held;
  }

  private createProfile(): string {
    const profile = this.input.newProfileId();
    this.created.add(profile);
    this.counts.set(profile, {});
    this.journal?.push(() => {
      this.created.delete(profile);
      this.counts.delete(profile);
    });
    return profile;
  }

  private attachOrRefuse(identifier: Identifier, profile: string, messageIndex: number, explicit: boolean): void {
    if (!explicit && !this.fits(profile, identifier.type)) {
      this.refuse({ kind: 'attach', messageIndex, identifier, profileId: profile, cap: this.input.caps[identifier.type] });
      return;
    }
    const counts = this.countsOf(profile);
    const held = counts[identifier.type];
    if (this.journal && !this.violation && GUARDED_TYPES.includes(identifier.type) && this.heldGuardedBefore(profile)) {
      this.violation = { via: 'attach', identifier, identifierType: identifier.type, profileId: profile };
    }
    const key = identifierKey(identifier);
    this.record(this.owner, key);
    this.record(this.attached, key);
    this.journal?.push(() => {
      if (held === undefined) delete counts[identifier.type];
      else counts[identifier.type] = held;
    });
    this.owner.set(key, profile);
    this.attached.set(key, { ...identifier, profileId: profile });
    counts[identifier.type] = (held ?? 0) + 1;
  }

  private mergeOrRefuse(winner: string, loser: string, via: Identifier, messageIndex: number, explicit: boolean): void {
    const winnerCounts = this.countsOf(winner);
    const loserCounts = this.countsOf(loser);
    const overflow = explicit ? undefined : IDENTIFIER_TYPES.find((type) => !this.fits(winner, type, loserCounts[type] ?? 0));
    if (overflow) {
      this.refuse({ kind: 'merge', messageIndex, winner, loser, identifierType: overflow, cap: this.input.caps[overflow] });
      return;
    }
    if (this.journal) {
      const doubled = this.heldGuardedBefore(winner) ? GUARDED_TYPES.find((type) => (loserCounts[type] ?? 0) >= 1) : undefined;
      if (doubled && !this.violation) this.violation = { via: 'merge', identifier: via, identifierType: doubled, profileId: winner };
      const before = { ...winnerCounts };
      const recorded = !this.created.has(loser);
      this.journal.push(() => {
        for (const type of IDENTIFIER_TYPES) {
          if (before[type] === undefined) delete winnerCounts[type];
          else winnerCounts[type] = before[type];
        }
        this.mergedInto.delete(loser);
        if (recorded) this.merges.pop();
      });
    }
    for (const type of IDENTIFIER_TYPES) winnerCounts[type] = (winnerCounts[type] ?? 0) + (loserCounts[type] ?? 0);
    this.mergedInto.set(loser, winner);
    if (!this.created.has(loser)) this.merges.push({ loser, winner });
  }

  private refuse(refusal: Refusal): void {
    this.refusals.push(refusal);
    this.journal?.push(() => this.refusals.pop());
  }

  /** Journals the current entry of `key` in `map`, to restore it if the message is taken back. */
  private record<V>(map: Map<string, V>, key: string): void {
    if (!this.journal) return;
    const had = map.has(key);
    const previous = map.get(key);
    this.journal.push(() => {
      if (had) map.set(key, previous as V);
      else map.delete(key);
    });
  }
}

function aliasReadings(previousId: string | null | undefined): Identifier[] {
  return previousId
    ? [
        { type: 'user_id', value: previousId },
        { type: 'anonymous_id', value: previousId },
      ]
    : [];
}
