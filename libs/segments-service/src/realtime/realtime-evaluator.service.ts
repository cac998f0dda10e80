import { computedTraitReferencePaths } from '@audiencekit/segments-domain';
import { ComputedTraitsService } from '../computed-traits/computed-traits.service';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  evaluateProfileRealtime,
  parseSegmentDefinition,
  PreparedRealtimeSegments,
  prepareRealtimeSegments,
  realtimeEventNeeds,
  RealtimeProfile,
  RealtimeSegment,
  RulesDefinition,
} from '@audiencekit/segments-domain';
import {
  forgetStoppedSegments,
  handOverForStart,
  liveRealtimeSegments,
  LiveRealtimeSegment,
  lockRealtimeSetExclusive,
  lockRealtimeSetShared,
  lockSegmentsShared,
  membershipsOf,
  peekWork,
  profileEvents,
  ProfileEventRow,
  profileStates,
  RealtimeChange,
  recordRealtimeChanges,
  startedSegmentIds,
  startRealtimeVersion,
  replaceDueTimes,
  takeDueTimes,
  takeTouches,
  touchProfiles,
  tryLockProfiles,
} from './realtime.repository';
import { REALTIME_OPTIONS, RealtimeOptions } from './realtime-options';

/** What one batch did, for the worker's metrics. */
export interface RealtimeBatchOutcome {
  /** Profiles evaluated. */
  profiles: number;
  /** Membership changes written (entries + exits). */
  changes: number;
  /** Per profile handed over by ingestion: ms from its oldest hand-off to this batch's commit. */
  handOffLagsMs: number[];
  /** Per profile evaluated because a due time came: ms from the due time to the commit. */
  dueLagsMs: number[];
}

const NOTHING: RealtimeBatchOutcome = { profiles: 0, changes: 0, handOffLagsMs: [], dueLagsMs: [] };

interface PreparedSegment extends RealtimeSegment {
  version: number;
}

/**
 * Real-time audiences: evaluates the profiles that changed (handed over by ingestion, in the
 * transaction that stored their events) and those whose due time came (a window sliding past an
 * event), against every started real-time segment, with the in-memory evaluator of
 * libs/segments-domain — the twin of the SQL compiler. Each batch is one transaction: it takes
 * the profiles' hand-offs and due times, writes the changes the way a refresh does (history,
 * membership, Segment Entered / Exited), and stores each (segment, profile)'s next due time.
 * A crash rolls the batch back and its hand-offs stay for the next worker.
 *
 * Concurrency: a profile is evaluated by one worker at a time (transaction-scoped advisory try-lock;
 * the others skip it), a burst of hand-offs of one profile is taken at once (evaluated once), and
 * starting a segment version excludes batches (the 'realtime-set' lock) so no batch evaluates a
 * stale set of segments after taking the hand-offs the start made.
 */
@Injectable()
export class RealtimeEvaluator {
  private readonly logger = new Logger(RealtimeEvaluator.name);
  private readonly parsed = new Map<string, PreparedSegment>();
  /** The compiled set of the last batch, by its (id, version) list: reused while the set is unchanged. */
  private compiled: { cacheKey: string; set: PreparedRealtimeSegments } | undefined;
  private readonly batchSize: number;
  private readonly clock: () => Date;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(REALTIME_OPTIONS) private readonly options: RealtimeOptions = {},
    @Optional() private readonly computedTraits?: ComputedTraitsService,
  ) {
    this.batchSize = options.batchSize ?? 250;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Starts every real-time segment version not started yet: each live profile is handed over, so
   * the evaluator computes the new version's membership and due times. Returns the started ids.
   */
  async startNewVersions(): Promise<string[]> {
    const live = await liveRealtimeSegments(this.dataSource.manager);
    const pending = live.filter((segment) => segment.startedVersion !== segment.version);
    if (pending.length === 0 && !(await this.hasStoppedSegments(live))) return [];
    return this.dataSource.transaction(async (manager) => {
      await lockRealtimeSetExclusive(manager);
      const current = await liveRealtimeSegments(manager);
      await forgetStoppedSegments(
        manager,
        current.map((segment) => segment.id),
      );
      const started: string[] = [];
      for (const segment of current.filter((candidate) => candidate.startedVersion !== candidate.version)) {
        if (await startRealtimeVersion(manager, segment.id, segment.version)) started.push(segment.id);
      }
      if (started.length) {
        await handOverForStart(manager, started);
        this.logger.log({ segments: started }, 'started real-time segment versions');
      }
      return started;
    });
  }

  /** Evaluates one batch of profiles with work to do; `profiles: 0` when there was none. */
  async runBatch(): Promise<RealtimeBatchOutcome> {
    const now = this.clock();
    // Profiles whose real-time computed traits are due come back as hand-offs (computed-traits).
    await this.computedTraits?.handOverDue(now);
    const candidates = await peekWork(this.dataSource.manager, this.batchSize * 4, now);
    if (candidates.length === 0) return NOTHING;
    return this.dataSource.transaction((manager) => this.evaluateBatch(manager, shuffled(candidates), now));
  }

  /** Runs batches until nothing is left (tests and the CLI); the total outcome. */
  async drain(): Promise<RealtimeBatchOutcome> {
    const total: RealtimeBatchOutcome = { profiles: 0, changes: 0, handOffLagsMs: [], dueLagsMs: [] };
    await this.startNewVersions();
    for (;;) {
      const outcome = await this.runBatch();
      if (outcome.profiles === 0) return total;
      total.profiles += outcome.profiles;
      total.changes += outcome.changes;
    }
  }

  private async evaluateBatch(manager: EntityManager, candidates: string[], now: Date): Promise<RealtimeBatchOutcome> {
    await lockRealtimeSetShared(manager);
    const segments = this.prepare((await liveRealtimeSegments(manager)).filter((segment) => segment.startedVersion === segment.version));
    await lockSegmentsShared(
      manager,
      segments.map((segment) => segment.id),
    );
    const profileIds = await tryLockProfiles(manager, candidates, this.batchSize);
    if (profileIds.length === 0) return NOTHING;
    const touched = await takeTouches(manager, profileIds);
    const due = await takeDueTimes(manager, profileIds, now);
    // Real-time computed traits first, so the segments below read fresh values.
    await this.computedTraits?.maintainRealtime(manager, profileIds, now);
    const { changes, nextDue } = await this.evaluateProfiles(manager, profileIds, segments, now);
    const written = await recordRealtimeChanges(manager, changes, now);
    await replaceDueTimes(manager, profileIds, nextDue);
    // Segment Entered / Exited are stored as events, and a definition may count them (a refresh
    // does): the profiles that just changed are handed over again, so the next batch sees them.
    if (written > 0 && readsLifecycleEvents(segments)) {
      await touchProfiles(manager, [...new Set(changes.map((change) => change.profileId))]);
    }
    const committedAt = Date.now();
    return {
      profiles: profileIds.length,
      changes: written,
      handOffLagsMs: [...touched.values()].map((first) => committedAt - first),
      dueLagsMs: [...due.values()].map((dueAt) => committedAt - dueAt),
    };
  }

  private async evaluateProfiles(
    manager: EntityManager,
    profileIds: string[],
    segments: PreparedSegment[],
    now: Date,
  ): Promise<{ changes: RealtimeChange[]; nextDue: { segmentId: string; profileId: string; dueAt: number }[] }> {
    const changes: RealtimeChange[] = [];
    const nextDue: { segmentId: string; profileId: string; dueAt: number }[] = [];
    if (segments.length === 0) return { changes, nextDue };
    const needs = realtimeEventNeeds(segments.map((segment) => segment.definition));
    const since = needs.sinceMs(now);
    // One connection (the batch's transaction): the reads go one after the other.
    const states = await profileStates(manager, profileIds);
    const events = await profileEvents(
      manager,
      profileIds,
      needs.names === 'all' ? null : needs.names,
      since === null ? null : new Date(since),
      needs,
    );
    const memberships = await membershipsOf(manager, profileIds);
    const derived = await this.derivedValues(manager, profileIds, segments);
    const eventsOf = groupBy(events, (row) => row.profile_id);
    const membershipsByProfile = groupBy(memberships, (row) => row.profile_id);
    const byId = new Map(segments.map((segment) => [segment.id, segment]));
    const compiled = this.compile(segments);
    for (const state of states) {
      const current = membershipsByProfile.get(state.id) ?? [];
      const otherSegments = new Set(current.filter((row) => !byId.has(row.segment_id)).flatMap((row) => [row.segment_id, row.key]));
      const verdicts = state.live
        ? evaluateProfileRealtime(
            compiled,
            {
              traits: state.traits,
              events: (eventsOf.get(state.id) ?? []).map(toSnapshotEvent),
              otherSegments,
              computedTraits: derived.get(state.id),
            },
            now,
          )
        : segments.map((segment) => ({ segmentId: segment.id, matches: false, nextChangeAt: null }));
      const memberOf = new Set(current.map((row) => row.segment_id));
      for (const verdict of verdicts) {
        const segment = byId.get(verdict.segmentId) as PreparedSegment;
        if (verdict.matches !== memberOf.has(segment.id)) {
          changes.push({
            segmentId: segment.id,
            segmentKey: segment.key,
            version: segment.version,
            profileId: state.id,
            change: verdict.matches ? 'added' : 'removed',
          });
        }
        if (verdict.nextChangeAt !== null) nextDue.push({ segmentId: segment.id, profileId: state.id, dueAt: verdict.nextChangeAt });
      }
    }
    return { changes, nextDue };
  }

  /** The stored derived values the segments' `computed_trait` conditions read, per profile. */
  private async derivedValues(
    manager: EntityManager,
    profileIds: string[],
    segments: PreparedSegment[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const keys = [
      ...new Set(segments.flatMap((segment) => computedTraitReferencePaths(segment.definition).map((reference) => reference.key))),
    ];
    if (keys.length === 0 || !this.computedTraits) return new Map();
    return this.computedTraits.valuesOf(manager, profileIds, keys);
  }

  /** Parsed definitions, cached per (segment, version): versions are immutable. */
  private prepare(live: LiveRealtimeSegment[]): PreparedSegment[] {
    return live.map((segment) => {
      const cacheKey = `${segment.id}:${segment.version}`;
      let prepared = this.parsed.get(cacheKey);
      if (!prepared) {
        prepared = {
          id: segment.id,
          key: segment.key,
          version: segment.version,
          definition: parseSegmentDefinition(segment.definition) as RulesDefinition,
        };
        this.parsed.set(cacheKey, prepared);
      }
      return prepared;
    });
  }

  /** The segment set compiled once for every profile of the batch (and the next batches while it is the same). */
  private compile(segments: PreparedSegment[]): PreparedRealtimeSegments {
    const cacheKey = segments.map((segment) => `${segment.id}:${segment.version}:${segment.key}`).join(',');
    if (this.compiled?.cacheKey !== cacheKey) this.compiled = { cacheKey, set: prepareRealtimeSegments(segments) };
    return this.compiled.set;
  }

  /** A segment started once that is no longer real time (cadence changed, paused, archived). */
  private async hasStoppedSegments(live: LiveRealtimeSegment[]): Promise<boolean> {
    const liveIds = new Set(live.map((segment) => segment.id));
    return (await startedSegmentIds(this.dataSource.manager)).some((id) => !liveIds.has(id));
  }
}

const LIFECYCLE_EVENTS = ['Segment Entered', 'Segment Exited'];

/** Whether a definition may read the lifecycle events real time writes (`'all'`: a named leaf may be among them). */
function readsLifecycleEvents(segments: PreparedSegment[]): boolean {
  const { names } = realtimeEventNeeds(segments.map((segment) => segment.definition));
  return names === 'all' || names.some((name) => LIFECYCLE_EVENTS.includes(name));
}

function toSnapshotEvent(row: ProfileEventRow): RealtimeProfile['events'][number] {
  return { name: row.name, timestamp: row.ts, properties: row.properties ?? {}, type: row.type, context: row.context };
}

function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** A random order, so workers peeking the same oldest hand-offs try to lock different profiles first. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
