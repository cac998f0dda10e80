import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import {
  applyTraits,
  DEFAULT_MERGE_CAPS,
  extractIdentifiers,
  Identifier,
  identifierKey,
  lookupIdentifiers,
  MergeCaps,
  mergeTraitStates,
  planStitching,
  profilesNeedingCounts,
  Refusal,
  StitchMessage,
  StitchPlan,
  TraitState,
} from '@audiencekit/identity';
import { isDatabaseUnavailable } from './database-unavailable';
import { GroupCommit } from './group-commit';
import { IdentityCache } from './identity-cache';
import { copyText, EventLine, IngestionRepository, LockedProfile, ProfileWrite } from './ingestion.repository';
import { consentRefusals, IngestSource, restrictedRejection } from './source-trust';
import { RejectedMessage, TrackingEvent } from './tracking-event';

export const INGESTION_OPTIONS = Symbol('INGESTION_OPTIONS');

export interface IngestionOptions {
  /** Most identifiers of each type per profile (see libs/identity). */
  mergeCaps?: Partial<MergeCaps>;
  /** Country for phone numbers written without `+` (ISO 3166 alpha-2); none by default. */
  defaultPhoneCountry?: string;
  /** Attempts when a deadlock or a concurrent writer forces a transaction to run again. */
  maxAttempts?: number;
  /** Entries of the per-process identifier → profile cache (0 turns it off). */
  cacheEntries?: number;
  /**
   * Group commit: calls made while `maxInFlight` transactions are running wait and are stored
   * together, up to `maxEvents` events per transaction (see README). `maxInFlight: 0` turns it off
   * (every call its own transaction, all at once).
   */
  groupCommit?: { maxInFlight?: number; maxEvents?: number };
  /**
   * Hand every touched profile to the real-time evaluator (`realtime_touches`), in the transaction
   * that stores its events (default on; `AK_REALTIME=false` turns real time off).
   */
  realtimeHandOff?: boolean;
}

/** Measured with `npm run bench -- ingest` (libs/ingestion/README.md). */
export const DEFAULT_GROUP_COMMIT = { maxInFlight: 1, maxEvents: 5_000 };

export interface IngestResult {
  /** Events newly stored. */
  stored: number;
  /** Events whose messageId was already stored (client retries), or repeated within the input. */
  duplicates: number;
  /** Per input event, the profile it was stored on (null for a duplicate, stored before). */
  profileIds: (string | null)[];
  /** What the merge caps refused (also logged); `messageIndex` is the index in the call's events. */
  refusals: Refusal[];
  /**
   * Events refused whole because a client source may not do what they ask (see `IngestSource`):
   * nothing of them is stored. `index` is the index in the call's events.
   */
  rejected: RejectedMessage[];
}

/**
 * One call of `ingest`, waiting for (or part of) a group commit. Its COPY lines and identifiers are
 * prepared when it arrives, while an earlier group may still be committing.
 */
interface Submission {
  events: readonly TrackingEvent[];
  /** Per event, what makes it a duplicate: its source and messageId (`dedupeKey`). */
  keys: string[];
  lines: EventLine[];
  messages: StitchMessage[];
}

/**
 * How precisely `profiles.first_seen_at` / `last_seen_at` follow the events: a profile row is
 * rewritten only when a batch moves them by more than this. Exact times are in `events`; the
 * coarse copy spares one row update per event for a person active in a session.
 */
export const SEEN_RESOLUTION_MS = 60 * 60 * 1000;

/** A concurrent writer changed identities or profiles this transaction read: run it again. */
export class StitchingConflict extends Error {
  constructor(reason: string) {
    super(`stitching conflict: ${reason}`);
    this.name = 'StitchingConflict';
  }
}

// Deadlocks and serialisation failures are resolved by running the transaction again.
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

interface Attempt {
  events: TrackingEvent[];
  keys: string[];
  plan: StitchPlan;
  stored: number;
  owners: Map<string, string>;
}

const NOTHING_NEW: Attempt = {
  events: [],
  keys: [],
  plan: { profileOf: [], newProfiles: [], newIdentities: [], merges: [], refusals: [] },
  stored: 0,
  owners: new Map(),
};

/**
 * Stores validated tracking events with identity stitching, in one transaction per call: profiles
 * and identities are resolved, created and merged, traits applied, and the events inserted, all
 * committed together before the caller answers (durable before 2xx). A messageId already stored
 * is skipped, so retries are stored once. Used by the HTTP API and the CSV import alike.
 *
 * Concurrency: every existing profile a batch uses is row-locked in id order (so a merge never
 * races with a batch writing to the loser, and traits are read-modified-written exactly);
 * creating identifiers takes advisory locks on their hash buckets (so two batches never create
 * two profiles for one new person). See libs/ingestion/README.md.
 */
@Injectable()
export class IngestionService {
  private readonly logger = new Logger('IngestionService');
  private readonly caps: MergeCaps;
  private readonly maxAttempts: number;
  private readonly cache: IdentityCache;
  /** Whether the last batch held stored messageIds: the next one is then checked before its COPY. */
  private expectDuplicates = false;
  private readonly groups: GroupCommit<Submission, IngestResult>;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(INGESTION_OPTIONS) private readonly options: IngestionOptions = {},
  ) {
    this.caps = { ...DEFAULT_MERGE_CAPS, ...options.mergeCaps };
    this.maxAttempts = options.maxAttempts ?? 8;
    this.cache = new IdentityCache(options.cacheEntries ?? 500_000);
    const group = { ...DEFAULT_GROUP_COMMIT, ...options.groupCommit };
    this.groups = new GroupCommit((submissions) => this.storeGroup(submissions), {
      maxInFlight: group.maxInFlight > 0 ? group.maxInFlight : Number.POSITIVE_INFINITY,
      maxGroupSize: group.maxInFlight > 0 ? group.maxEvents : 0,
      // A group that failed for a reason other than the database being down is stored again one
      // call at a time: a call that cannot be stored then fails alone, the others succeed.
      retryAlone: (error) => !isDatabaseUnavailable(error),
    });
  }

  /**
   * Stores the events (committed when the promise resolves). Calls made while the service is busy
   * are committed together with others in one transaction (group commit); each still gets its own
   * result, and a call that cannot be stored fails alone.
   */
  async ingest(events: readonly TrackingEvent[], source: IngestSource = {}): Promise<IngestResult> {
    const restricted = source.trust === 'client';
    // Consent traits from a client source are refused before anything else (no database needed).
    const refused = restricted ? consentRefusals(events) : [];
    if (refused.length === 0) return this.submit(events, source.sourceId ?? null, restricted);
    const refusedIndexes = new Set(refused.map((rejection) => rejection.index));
    const kept = events.flatMap((_event, index) => (refusedIndexes.has(index) ? [] : [index]));
    const result =
      kept.length > 0
        ? await this.submit(
            kept.map((index) => events[index]),
            source.sourceId ?? null,
            restricted,
          )
        : NOTHING_STORED;
    return inOriginalIndexes(result, kept, events.length, refused);
  }

  private submit(events: readonly TrackingEvent[], sourceId: string | null, restricted: boolean): Promise<IngestResult> {
    return this.groups.submit(
      {
        events,
        keys: events.map((event) => dedupeKey(sourceId, event.messageId)),
        lines: events.map((event) => toEventLine(event, sourceId)),
        messages: events.map((event) => ({
          identifiers: extractIdentifiers(event, { defaultPhoneCountry: this.options.defaultPhoneCountry }),
          previousId: event.previousId,
          restricted,
        })),
      },
      events.length,
    );
  }

  /** One transaction for the events of several calls, split back into one result per call. */
  private async storeGroup(submissions: Submission[]): Promise<IngestResult[]> {
    if (submissions.length === 1) {
      const { storedIds: _storedIds, ...result } = await this.store(submissions[0]);
      return [result];
    }
    const keys = submissions.flatMap((submission) => submission.keys);
    const combined = await this.store({
      events: submissions.flatMap((submission) => submission.events),
      keys,
      lines: submissions.flatMap((submission) => submission.lines),
      messages: submissions.flatMap((submission) => submission.messages),
    });
    const firstIndex = new Map<string, number>();
    keys.forEach((key, index) => {
      if (!firstIndex.has(key)) firstIndex.set(key, index);
    });
    const storedHere = (index: number) => firstIndex.get(keys[index]) === index && combined.storedIds.has(keys[index]);
    let offset = 0;
    return submissions.map((submission) => {
      const start = offset;
      offset += submission.events.length;
      const stored = submission.events.filter((_event, local) => storedHere(start + local)).length;
      const rejected = combined.rejected
        .filter((rejection) => rejection.index >= start && rejection.index < offset)
        .map((rejection) => ({ ...rejection, index: rejection.index - start }));
      return {
        stored,
        duplicates: submission.events.length - stored - rejected.length,
        profileIds: combined.profileIds.slice(start, offset),
        refusals: combined.refusals
          .filter((refusal) => refusal.messageIndex >= start && refusal.messageIndex < offset)
          .map((refusal) => ({ ...refusal, messageIndex: refusal.messageIndex - start })),
        rejected,
      };
    });
  }

  /** Stores a submission's events in one transaction (with retries). */
  private async store(submission: Submission): Promise<IngestResult & { storedIds: Set<string> }> {
    const { events, keys } = submission;
    const uniqueIndexes = firstIndexPerKey(keys);
    const unique = uniqueIndexes.map((index) => events[index]);
    const uniqueKeys = uniqueIndexes.map((index) => keys[index]);
    const lines = uniqueIndexes.map((index) => submission.lines[index]);
    const allMessages = uniqueIndexes.map((index) => submission.messages[index]);
    // Optimistic dedupe: most batches hold no stored messageId, and the COPY's unique index checks
    // every one anyway, so the ids are looked up first only when this batch hit a duplicate on an
    // earlier attempt, or the previous batch held some (a client retrying, a file imported again).
    let checkStored = this.expectDuplicates;
    let storedFound = 0;
    const outcome = await this.withRetries(
      async () => {
        // Reads that need no lock happen before the transaction, to keep it (and its locks) short.
        const { stored, known, unknown } = await this.readBeforeTransaction(unique, allMessages, checkStored);
        const freshIndexes = uniqueKeys.flatMap((key, index) => (stored.has(key) ? [] : [index]));
        storedFound = uniqueKeys.length - freshIndexes.length;
        if (freshIndexes.length === 0) return NOTHING_NEW;
        const fresh = freshIndexes.map((index) => unique[index]);
        const messages = freshIndexes.map((index) => allMessages[index]);
        const batchLines = freshIndexes.map((index) => lines[index]);
        const freshKeys = freshIndexes.map((index) => uniqueKeys[index]);
        return this.dataSource.transaction((manager) =>
          this.ingestOnce(runnerOf(manager), { events: fresh, keys: freshKeys, messages, known, unknown, lines: batchLines }),
        );
      },
      (error) => {
        if (isDuplicateMessageId(error)) checkStored = true;
      },
    );
    this.expectDuplicates = storedFound > 0;
    this.cache.remember(outcome.owners);
    for (const { loser, winner } of outcome.plan.merges) this.cache.redirect(loser, winner);
    for (const refusal of outcome.plan.refusals) {
      const msg =
        refusal.kind === 'restricted'
          ? 'message of a client source refused: it would add an identifier to a profile that has one'
          : 'identity stitching refused by merge cap';
      this.logger.warn({ msg, ...refusal, messageId: outcome.events[refusal.messageIndex]?.messageId });
    }
    const profileByKey = new Map(outcome.keys.map((key, index) => [key, outcome.plan.profileOf[index]]));
    // Refusals name the message by its index in `events` (the plan counts only the fresh ones).
    const indexOf = new Map(uniqueIndexes.map((index) => [keys[index], index]));
    const indexInCall = (planIndex: number) => indexOf.get(outcome.keys[planIndex]) ?? planIndex;
    const rejected: RejectedMessage[] = [];
    const refusals: Refusal[] = [];
    for (const refusal of outcome.plan.refusals) {
      if (refusal.kind === 'restricted')
        rejected.push(restrictedRejection(outcome.events[refusal.messageIndex], indexInCall(refusal.messageIndex), refusal));
      else refusals.push({ ...refusal, messageIndex: indexInCall(refusal.messageIndex) });
    }
    return {
      stored: outcome.stored,
      duplicates: events.length - outcome.stored - rejected.length,
      profileIds: keys.map((key) => profileByKey.get(key) ?? null),
      refusals,
      rejected,
      storedIds: new Set(outcome.keys.filter((_key, index) => outcome.plan.profileOf[index] !== null)),
    };
  }

  private async ingestOnce(
    runner: QueryRunner,
    batch: {
      events: TrackingEvent[];
      keys: string[];
      messages: StitchMessage[];
      known: Map<string, string>;
      unknown: Identifier[];
      lines: EventLine[];
    },
  ): Promise<Attempt> {
    const { events, keys, messages, known, unknown, lines } = batch;
    const repository = new IngestionRepository(runner);
    await repository.useKeyAccessPlans();
    if (unknown.length > 0) {
      // Whoever holds these locks may be creating the same identifiers: wait for them, then look
      // again, so two batches never both create a profile for one new person.
      await repository.lockNewIdentifiers(unknown);
      for (const [key, profile] of await repository.findOwners(unknown)) known.set(key, profile);
    }
    const needCounts = profilesNeedingCounts(messages, known);
    const withTraits = new Set([...needCounts, ...identifyProfiles(events, messages, known)]);
    const touched = new Set(known.values());
    const locked = await repository.lockProfiles([...touched], withTraits);
    const merged = locked.filter((profile) => profile.mergedInto !== null);
    if (merged.length > 0 || locked.length !== touched.size) {
      // Merged by another process since we read (or cached) its identities: learn it, read again.
      for (const profile of merged) if (profile.mergedInto) this.cache.redirect(profile.id, profile.mergedInto);
      // Missing: deleted on request meanwhile (its identities went with it), so forget the cached owner.
      const found = new Set(locked.map((profile) => profile.id));
      for (const id of touched) if (!found.has(id)) this.cache.forgetProfile(id);
      throw new StitchingConflict('a profile was merged or deleted after its identities were read');
    }
    const counts = await repository.identifierCounts([...needCounts]);
    const plan = planStitching({ messages, known, counts, caps: this.caps, newProfileId: randomUUID });

    const drafts = draftProfiles(locked, plan, events);
    const newProfiles = new Set(plan.newProfiles);
    const inserted = await repository.writeStitching({
      newProfiles: plan.newProfiles.map((id) => draftOf(drafts, id).write()),
      newIdentities: plan.newIdentities,
      merges: plan.merges,
      updates: [...drafts.values()].filter((draft) => !newProfiles.has(draft.id) && draft.dirty).map((draft) => draft.write()),
    });
    // The statement's other writes are rolled back with the transaction.
    if (inserted !== plan.newIdentities.length) throw new StitchingConflict('another writer stored one of these identifiers first');
    // A refused message of a client source (no profile) is not stored.
    const placed = plan.profileOf.flatMap((profile, index) => (profile === null ? [] : [index]));
    const stored = await repository.copyEvents(
      placed.map((index) => lines[index]),
      placed.map((index) => plan.profileOf[index] as string),
    );
    // In the same transaction as the events: an accepted event can never miss its real-time
    // evaluation. A merge's loser is handed over too, so it leaves every segment.
    if (this.options.realtimeHandOff ?? true) await repository.touchForRealtime(touchedProfiles(plan));

    for (const identity of plan.newIdentities) known.set(identifierKey(identity), identity.profileId);
    return { events, keys, plan, stored, owners: known };
  }

  /**
   * What needs no lock, read before the transaction to keep it short: the message ids already
   * stored, and the owners of the identifiers (from the cache, else the database).
   */
  private async readBeforeTransaction(
    events: TrackingEvent[],
    messages: StitchMessage[],
    checkStored: boolean,
  ): Promise<{ stored: Set<string>; known: Map<string, string>; unknown: Identifier[] }> {
    const known = new Map<string, string>();
    const misses = lookupIdentifiers(messages).filter((identifier) => {
      const key = identifierKey(identifier);
      const profile = this.cache.owner(key);
      if (profile !== undefined) known.set(key, profile);
      return profile === undefined;
    });
    const read = await new IngestionRepository(this.dataSource).storedAndOwners(
      checkStored ? events.map((event) => event.messageId) : [],
      misses,
    );
    for (const [key, profile] of read.owners) known.set(key, profile);
    return { stored: read.stored, known, unknown: misses.filter((identifier) => !known.has(identifierKey(identifier))) };
  }

  private async withRetries<T>(work: () => Promise<T>, onRetry: (error: unknown) => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryable(error)) throw error;
        onRetry(error);
        // A stored duplicate is not a collision with a concurrent writer: look the ids up now, at once.
        if (isDuplicateMessageId(error) && attempt === 1) continue;
        // Jittered, growing pause so two colliding batches do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }
}

/** The profiles whose data this plan changes: every stored event's profile, and every merge's loser and winner. */
function touchedProfiles(plan: StitchPlan): string[] {
  const touched = new Set<string>();
  for (const profile of plan.profileOf) if (profile !== null) touched.add(profile);
  for (const { loser, winner } of plan.merges) touched.add(loser).add(winner);
  return [...touched];
}

/** Existing profiles that identify calls of this batch may give new traits. */
function identifyProfiles(events: TrackingEvent[], messages: StitchMessage[], known: Map<string, string>): Set<string> {
  const profiles = new Set<string>();
  events.forEach((event, index) => {
    if (!event.traits) return;
    for (const identifier of messages[index].identifiers) {
      const profile = known.get(identifierKey(identifier));
      if (profile) profiles.add(profile);
    }
  });
  return profiles;
}

/** The state of one profile as the batch changes it. */
class ProfileDraft {
  dirty = false;

  constructor(
    readonly id: string,
    private traits: TraitState | undefined,
    private firstSeenAt: Date | null,
    private lastSeenAt: Date | null,
    private traitsChanged = false,
  ) {}

  see(at: Date): void {
    if (!this.firstSeenAt || at.getTime() < this.firstSeenAt.getTime() - SEEN_RESOLUTION_MS) {
      this.firstSeenAt = at;
      this.dirty = true;
    }
    if (!this.lastSeenAt || at.getTime() > this.lastSeenAt.getTime() + SEEN_RESOLUTION_MS) {
      this.lastSeenAt = at;
      this.dirty = true;
    }
  }

  /** A first-seen time known from elsewhere (an import's column): exact, and only ever earlier. */
  seenFirstAt(at: Date): void {
    if (!this.firstSeenAt || at.getTime() < this.firstSeenAt.getTime()) {
      this.firstSeenAt = at;
      this.dirty = true;
    }
  }

  applyTraits(incoming: Record<string, unknown>, at: Date, receivedAt: Date): void {
    const merged = applyTraits(this.requireTraits(), incoming, at, receivedAt);
    this.adopt(merged.state, merged.changed);
  }

  absorb(loser: ProfileDraft): void {
    const merged = mergeTraitStates(this.requireTraits(), loser.requireTraits());
    this.adopt(merged.state, merged.changed);
    if (loser.firstSeenAt && (!this.firstSeenAt || loser.firstSeenAt < this.firstSeenAt)) this.firstSeenAt = loser.firstSeenAt;
    if (loser.lastSeenAt && (!this.lastSeenAt || loser.lastSeenAt > this.lastSeenAt)) this.lastSeenAt = loser.lastSeenAt;
    this.dirty = true;
  }

  write(): ProfileWrite {
    return {
      id: this.id,
      ...(this.traitsChanged ? { traits: this.traits } : {}),
      firstSeenAt: this.firstSeenAt,
      lastSeenAt: this.lastSeenAt,
    };
  }

  private adopt(state: TraitState, changed: boolean): void {
    this.traits = state;
    if (changed) {
      this.traitsChanged = true;
      this.dirty = true;
    }
  }

  private requireTraits(): TraitState {
    if (!this.traits) throw new Error(`traits of profile ${this.id} were not read before changing them`);
    return this.traits;
  }
}

/** Drafts of the locked and the new profiles, with the batch's merges, seen times and traits applied. */
function draftProfiles(locked: LockedProfile[], plan: StitchPlan, events: TrackingEvent[]): Map<string, ProfileDraft> {
  const drafts = new Map<string, ProfileDraft>();
  for (const profile of locked)
    drafts.set(profile.id, new ProfileDraft(profile.id, profile.traits, profile.firstSeenAt, profile.lastSeenAt));
  for (const id of plan.newProfiles) drafts.set(id, new ProfileDraft(id, { traits: {}, timestamps: {} }, null, null, true));
  for (const { loser, winner } of plan.merges) {
    draftOf(drafts, winner).absorb(draftOf(drafts, loser));
    drafts.delete(loser);
  }
  events.forEach((event, index) => {
    const profile = plan.profileOf[index];
    if (profile === null) return;
    const draft = draftOf(drafts, profile);
    draft.see(event.timestamp);
    if (event.firstSeenAt) draft.seenFirstAt(event.firstSeenAt);
    if (event.traits) draft.applyTraits(event.traits, event.timestamp, event.receivedAt);
  });
  return drafts;
}

function draftOf(drafts: Map<string, ProfileDraft>, id: string): ProfileDraft {
  const draft = drafts.get(id);
  if (!draft) throw new Error(`profile ${id} was neither locked nor created by this batch`);
  return draft;
}

function runnerOf(manager: EntityManager): QueryRunner {
  if (!manager.queryRunner) throw new Error('a transaction without a query runner');
  return manager.queryRunner;
}

function toEventLine(event: TrackingEvent, sourceId: string | null): EventLine {
  const properties = jsonCopyText(JSON.stringify(event.properties));
  const context = event.context === null ? '\\N' : jsonCopyText(JSON.stringify(event.context));
  const tail = `${event.type}\t${copyText(event.name)}\t${event.timestamp.toISOString()}\t${properties}\t${context}\t${copyText(event.userId)}\t${copyText(event.anonymousId)}\t${copyText(sourceId)}\n`;
  return { messageId: event.messageId, head: copyText(event.messageId), tail };
}

/**
 * COPY text of a JSON document: JSON.stringify escapes every control character, so of COPY's
 * special characters only the backslash can occur, and a scan for it is cheaper than copyText's
 * regular expression (this runs twice per event).
 */
function jsonCopyText(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * What makes an event a duplicate: its messageId within its source (a source cannot claim another
 * source's ids). Source ids are uuids, so the separator cannot occur in them. `dedupeKey` of the
 * repository's stored rows is built the same way.
 */
function dedupeKey(sourceId: string | null, messageId: string): string {
  return `${sourceId ?? ''}|${messageId}`;
}

const NOTHING_STORED: IngestResult = { stored: 0, duplicates: 0, profileIds: [], refusals: [], rejected: [] };

/**
 * A result for the `kept` events of a call (indexes into its `total` events), told in the call's
 * own indexes, with the rejections made before storing added.
 */
function inOriginalIndexes(result: IngestResult, kept: number[], total: number, refusedBefore: RejectedMessage[]): IngestResult {
  const profileIds: (string | null)[] = new Array<string | null>(total).fill(null);
  kept.forEach((original, index) => {
    profileIds[original] = result.profileIds[index];
  });
  return {
    stored: result.stored,
    duplicates: result.duplicates,
    profileIds,
    refusals: result.refusals.map((refusal) => ({ ...refusal, messageIndex: kept[refusal.messageIndex] })),
    rejected: [...refusedBefore, ...result.rejected.map((rejection) => ({ ...rejection, index: kept[rejection.index] }))].sort(
      (a, b) => a.index - b.index,
    ),
  };
}

/** Indexes of the first event of each dedupe key, in order. */
function firstIndexPerKey(keys: readonly string[]): number[] {
  const seen = new Set<string>();
  const indexes: number[] = [];
  keys.forEach((key, index) => {
    if (!seen.has(key)) {
      seen.add(key);
      indexes.push(index);
    }
  });
  return indexes;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof StitchingConflict || isDuplicateMessageId(error)) return true;
  const cause = ((error as { driverError?: unknown } | null)?.driverError ?? error) as { code?: unknown } | null;
  return typeof cause?.code === 'string' && RETRYABLE_SQLSTATES.has(cause.code);
}

/** The COPY met a messageId already stored (a client retry, not looked up first) or stored meanwhile by a concurrent request. */
function isDuplicateMessageId(error: unknown): boolean {
  const cause = ((error as { driverError?: unknown } | null)?.driverError ?? error) as { code?: unknown; constraint?: unknown } | null;
  return cause?.code === '23505' && cause.constraint === 'uq_events_source_message_id';
}
