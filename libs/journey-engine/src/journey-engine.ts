import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { DirectDelivery, DirectOutcome, globalHoldout } from '@audiencekit/activation-engine';
import { createArmResolver } from '@audiencekit/experimentation';
import {
  AudienceStep,
  EntryPosition,
  factsNeeded,
  goalWindowEnd,
  JourneyAction,
  JourneyDefinition,
  nextJourneyAction,
  SendStep,
  StepFacts,
  validateJourneyDefinition,
} from '@audiencekit/journeys';
import * as repo from './data/journeys.repository';
import { DEFAULT_JOURNEY_ENGINE_OPTIONS, JOURNEY_ENGINE_OPTIONS, JourneyEngineOptions } from './journey-engine.options';

/** A live journey version as the engine runs it (definition validated once; versions are immutable). */
interface RunnableVersion {
  row: repo.JourneyVersionRow;
  definition: JourneyDefinition;
}

/** A send / audience step recorded in flight, to deliver after the claim's transaction commits. */
interface Execution {
  entry: repo.EntryRow;
  version: RunnableVersion;
  step: SendStep | AudienceStep;
  next: number;
  deliveryKey: string;
}

export interface JourneyPassReport {
  entered: number;
  steps: number;
}

const OUTCOME_OF_DELIVERY: Record<DirectOutcome['outcome'], (action: 'send' | 'add' | 'remove') => string> = {
  delivered: (action) => (action === 'send' ? 'sent' : action === 'add' ? 'added' : 'removed'),
  skipped: () => 'skipped',
  capped: () => 'capped',
  rejected: () => 'rejected',
  failed: () => 'failed',
};

/**
 * Advances journeys (issue #23), in the worker. A pass:
 * 1. **intake** — takes rows of the entry outbox (`journey_pending_entries`, filled by a trigger on
 *    membership changes) and makes entries, re-entry rules applied; the arm is decided here, sticky
 *    (libs/experimentation's hash keyed by the journey's salt, the global holdout first): held-out
 *    entries are recorded but never run a step (they wait for their goal window, for the lift);
 * 2. **rounds** — claims due entries (`due_at <= now`, by the partial index, FOR UPDATE SKIP LOCKED),
 *    and for each asks libs/journeys' machine what to do: one step per entry per transaction.
 *    Waits, branches and exits are written in the claim's transaction (with their step log row).
 *    A send / audience step is recorded `in_flight` in `journey_step_log` with its delivery key
 *    `journey:<entry>:<step>` and its entry leased (`due_at = now + leaseSeconds`) in that same
 *    transaction, BEFORE any vendor call; then the step goes through the activation core
 *    (`DirectDelivery`: holdout re-checked, suppression and consent, identifiers, frequency caps, the
 *    destination's gate) and its outcome and the entry's next position are written together. A
 *    worker that dies in between leaves the step `in_flight`: when the lease passes, the entry is due
 *    again, the machine names the same step, and it is replayed with the same delivery key.
 * `now` is an argument so tests drive the clock; timers are compared with it, never with the
 * database's clock.
 */
@Injectable()
export class JourneyEngine {
  private readonly logger = new Logger(JourneyEngine.name);
  private readonly options: JourneyEngineOptions;
  private readonly versions = new Map<string, RunnableVersion | null>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly delivery: DirectDelivery,
    @Optional() @Inject(JOURNEY_ENGINE_OPTIONS) options?: Partial<JourneyEngineOptions>,
  ) {
    this.options = { ...DEFAULT_JOURNEY_ENGINE_OPTIONS, ...options };
  }

  /** Intake until the outbox is empty, then rounds until nothing is due (bounded by `maxRoundsPerPass`). */
  async runPass(now: Date = new Date()): Promise<JourneyPassReport> {
    let entered = 0;
    for (let taken = -1; taken !== 0;) {
      taken = await this.intake(now);
      entered += Math.max(0, taken);
    }
    let steps = 0;
    for (let round = 0; round < this.options.maxRoundsPerPass; round++) {
      const advanced = await this.advance(now);
      if (advanced === 0) break;
      steps += advanced;
    }
    return { entered, steps };
  }

  /** One transaction of intake; returns the outbox rows taken (0: the outbox is empty). */
  async intake(now: Date): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const pending = await repo.takePendingEntries(tx, this.options.intakeBatch);
      if (pending.length === 0) return 0;
      const current = await repo.journeyVersions(
        tx,
        [...new Set(pending.map((row) => row.journeyId))].map((journeyId) => ({ journeyId, version: null })),
      );
      const live = new Map(
        current
          .filter((row) => row.status === 'live')
          .flatMap((row) => {
            const runnable = this.runnable(row);
            return runnable ? [[row.journeyId, runnable] as const] : [];
          }),
      );
      const pairs = uniquePairs(pending.filter((row) => live.has(row.journeyId)));
      const latest = await repo.latestEntries(tx, pairs);
      const global = await globalHoldout(tx);
      const entries: repo.NewEntry[] = [];
      for (const pair of pairs) {
        const version = live.get(pair.journeyId) as RunnableVersion;
        const entryNumber = nextEntryNumber(version.definition, latest.get(repo.pairKey(pair.journeyId, pair.profileId)), now);
        if (entryNumber === null) continue;
        const arm = createArmResolver({
          globalHoldout: global,
          activation: {
            salt: version.row.holdoutSalt,
            share: version.definition.holdoutShare,
            hashVersion: version.row.holdoutHashVersion,
          },
        })(pair.profileId);
        const treated = arm === 'treatment';
        entries.push({
          journeyId: pair.journeyId,
          profileId: pair.profileId,
          entryNumber,
          version: version.row.version,
          arm,
          enteredAt: now,
          state: treated ? 'active' : 'waiting',
          dueAt: treated ? now : goalWindowEnd(version.definition, now),
        });
      }
      await repo.insertEntries(tx, entries);
      return pending.length;
    });
  }

  /** One round: claims due entries, applies one step to each; returns how many were claimed. */
  async advance(now: Date): Promise<number> {
    const executions: Execution[] = [];
    const claimed = await this.dataSource.transaction(async (tx) => {
      const entries = await repo.claimDueEntries(tx, now, this.options.claimBatch);
      if (entries.length === 0) return 0;
      const versions = await this.versionsOf(tx, entries);
      const facts = await this.factsOf(tx, entries, versions);
      const work = new Work(now);
      for (const entry of entries) {
        const version = versions.get(versionKey(entry.journeyId, entry.version));
        if (!version) {
          // A version that no longer validates (or vanished) ends the entry rather than loop on it.
          work.exits.push({ id: entry.id, reason: 'exit_step', detail: 'invalid_version', at: now });
          continue;
        }
        if (version.row.status === 'archived') {
          // An archived journey sends nothing more: its entries in flight end (outcome `exited`).
          work.exits.push({ id: entry.id, reason: 'exit_step', detail: 'journey_archived', at: now });
          continue;
        }
        if (version.row.status === 'paused') {
          // Held, not moved: made live again, a trigger makes held entries due at once (not a lease later).
          work.holds.push(entry.id);
          continue;
        }
        const action = nextJourneyAction(version.definition, positionOf(entry), facts.get(entry.id) ?? { goalReached: false }, now);
        const execution = work.apply(entry, version, action);
        if (execution) executions.push(execution);
      }
      await this.recordExecutions(tx, executions, now);
      await work.write(tx, new Date(now.getTime() + this.options.leaseSeconds * 1000));
      return entries.length;
    });
    for (const group of groupBySteps(executions)) await this.deliverGroup(group, now);
    return claimed;
  }

  /**
   * Records each execution in the step log (`in_flight`, delivery key) and leases its entry. A step
   * already logged is a replay (in flight when a worker died) — or, if it has an outcome, done:
   * then only the position moves on.
   */
  private async recordExecutions(tx: EntityManager, executions: Execution[], now: Date): Promise<void> {
    if (executions.length === 0) return;
    const logged = await repo.loggedSteps(
      tx,
      executions.map((execution) => ({ entryId: execution.entry.id, stepId: execution.step.id })),
    );
    const done = executions.filter((execution) => {
      const row = logged.get(repo.stepKey(execution.entry.id, execution.step.id));
      return row !== undefined && row.outcome !== 'in_flight';
    });
    await repo.logSteps(
      tx,
      executions
        .filter((execution) => !logged.has(repo.stepKey(execution.entry.id, execution.step.id)))
        .map((execution) => ({
          entryId: execution.entry.id,
          journeyId: execution.entry.journeyId,
          stepId: execution.step.id,
          outcome: 'in_flight',
          deliveryKey: execution.deliveryKey,
          detail: null,
          at: now,
        })),
    );
    const lease = new Date(now.getTime() + this.options.leaseSeconds * 1000);
    await repo.moveEntries(
      tx,
      executions.map((execution) =>
        done.includes(execution)
          ? { id: execution.entry.id, stepIndex: execution.next, state: 'active', dueAt: now, waitStartedAt: null, waitingEvent: null }
          : {
              id: execution.entry.id,
              stepIndex: execution.entry.stepIndex,
              state: 'active',
              dueAt: lease,
              waitStartedAt: null,
              waitingEvent: null,
            },
      ),
    );
    for (const execution of done) executions.splice(executions.indexOf(execution), 1);
  }

  /** Delivers one step to its entries through the activation core, then writes outcomes and positions together. */
  private async deliverGroup(group: Execution[], now: Date): Promise<void> {
    const { step, version } = group[0];
    const action = step.type === 'send' ? 'send' : step.action;
    await this.options.faultForTests?.('before_call', step.id);
    const outcomes = await this.delivery.deliver({
      destinationId: step.destination,
      action,
      ...(step.type === 'send' ? { message: step.message } : {}),
      holdout: { salt: version.row.holdoutSalt, share: version.definition.holdoutShare, hashVersion: version.row.holdoutHashVersion },
      ...(step.type === 'audience' ? { audience: await this.audienceOf(version, step) } : {}),
      targets: group.map((execution) => ({ profileId: execution.entry.profileId, deliveryKey: execution.deliveryKey })),
    });
    await this.options.faultForTests?.('after_call', step.id);
    const byKey = new Map(outcomes.map((outcome) => [outcome.deliveryKey, outcome]));
    await this.dataSource.transaction(async (tx) => {
      await repo.completeSteps(
        tx,
        group.map((execution) => {
          const outcome = byKey.get(execution.deliveryKey);
          return {
            entryId: execution.entry.id,
            stepId: step.id,
            outcome: outcome ? OUTCOME_OF_DELIVERY[outcome.outcome](action) : 'failed',
            detail: outcome?.reason ?? (outcome ? null : 'no outcome'),
            at: now,
          };
        }),
      );
      await repo.moveEntries(
        tx,
        group.map((execution) => ({
          id: execution.entry.id,
          stepIndex: execution.next,
          state: 'active',
          dueAt: now,
          waitStartedAt: null,
          waitingEvent: null,
        })),
      );
    });
  }

  private async audienceOf(
    version: RunnableVersion,
    step: AudienceStep,
  ): Promise<{ name: string; key: string; externalId: string | null; remember: (externalId: string) => Promise<void> }> {
    const manager = this.dataSource.manager;
    return {
      name: `audiencekit journey: ${version.row.key} / ${step.id}`,
      key: `journey:${version.row.journeyId}:${step.id}`,
      externalId: await repo.journeyAudience(manager, version.row.journeyId, step.id),
      remember: (externalId) =>
        repo.saveJourneyAudience(manager, {
          journeyId: version.row.journeyId,
          stepId: step.id,
          destinationId: step.destination,
          externalAudienceId: externalId,
        }),
    };
  }

  private async versionsOf(tx: EntityManager, entries: repo.EntryRow[]): Promise<Map<string, RunnableVersion>> {
    const wanted = [...new Map(entries.map((entry) => [versionKey(entry.journeyId, entry.version), entry])).values()];
    // Status can change at any time: read the card every round (the definition is cached: versions are
    // immutable), FOR SHARE so a paused → live change waits for this round and then releases what it held.
    const rows = await repo.journeyVersions(
      tx,
      wanted.map((entry) => ({ journeyId: entry.journeyId, version: entry.version })),
      { lockStatus: true },
    );
    const result = new Map<string, RunnableVersion>();
    for (const row of rows) {
      const runnable = this.runnable(row);
      if (runnable) result.set(versionKey(row.journeyId, row.version), { ...runnable, row });
    }
    return result;
  }

  private runnable(row: repo.JourneyVersionRow): RunnableVersion | null {
    const key = versionKey(row.journeyId, row.version);
    if (!this.versions.has(key)) {
      const checked = validateJourneyDefinition(row.definition);
      if (!checked.ok)
        this.logger.error({ journeyId: row.journeyId, version: row.version, errors: checked.errors }, 'journey version does not validate');
      this.versions.set(key, checked.ok ? { row, definition: checked.definition } : null);
    }
    const cached = this.versions.get(key);
    return cached ? { row, definition: cached.definition } : null;
  }

  /** The facts each entry's machine needs, in one query per kind (goal, awaited events, branch conditions). */
  private async factsOf(
    tx: EntityManager,
    entries: repo.EntryRow[],
    versions: Map<string, RunnableVersion>,
  ): Promise<Map<string, StepFacts>> {
    const goalChecks: { key: string; profileId: string; event: string; since: Date }[] = [];
    const awaitChecks: typeof goalChecks = [];
    const eventConditions: typeof goalChecks = [];
    const segmentConditions: { key: string; profileId: string; segmentId: string }[] = [];
    for (const entry of entries) {
      const version = versions.get(versionKey(entry.journeyId, entry.version));
      if (!version) continue;
      const needed = factsNeeded(version.definition, positionOf(entry));
      goalChecks.push({ key: entry.id, profileId: entry.profileId, event: needed.goalEvent, since: entry.enteredAt });
      if (needed.awaitedEvent)
        awaitChecks.push({ key: entry.id, profileId: entry.profileId, event: needed.awaitedEvent.name, since: needed.awaitedEvent.since });
      if (needed.condition && 'inSegment' in needed.condition)
        segmentConditions.push({ key: entry.id, profileId: entry.profileId, segmentId: needed.condition.inSegment });
      if (needed.condition && 'eventSinceEntry' in needed.condition)
        eventConditions.push({
          key: entry.id,
          profileId: entry.profileId,
          event: needed.condition.eventSinceEntry,
          since: entry.enteredAt,
        });
    }
    const goals = await repo.eventsSeen(tx, goalChecks);
    const awaited = await repo.eventsSeen(tx, awaitChecks);
    const conditions = new Set([...(await repo.eventsSeen(tx, eventConditions)), ...(await repo.membershipsHeld(tx, segmentConditions))]);
    return new Map(
      entries.map((entry) => [
        entry.id,
        { goalReached: goals.has(entry.id), awaitedEventSeen: awaited.has(entry.id), conditionHolds: conditions.has(entry.id) },
      ]),
    );
  }
}

/** What one round writes besides executions: exits, moves (waits, sleeps, branches), and their step log rows. */
class Work {
  readonly exits: repo.EntryExit[] = [];
  readonly moves: repo.EntryUpdate[] = [];
  readonly logs: repo.StepLogRow[] = [];
  /** Entries of paused journeys, held where they are. */
  readonly holds: string[] = [];

  constructor(private readonly now: Date) {}

  apply(entry: repo.EntryRow, version: RunnableVersion, action: JourneyAction): Execution | undefined {
    const now = this.now;
    switch (action.kind) {
      case 'exit':
        this.exits.push({ id: entry.id, reason: action.reason, detail: action.stepId ?? null, at: now });
        if (action.stepId) this.log(entry, action.stepId, 'exited');
        return undefined;
      case 'start_wait':
        this.moves.push({
          id: entry.id,
          stepIndex: entry.stepIndex,
          state: 'waiting',
          dueAt: action.dueAt,
          waitStartedAt: now,
          waitingEvent: action.wakeOn,
        });
        return undefined;
      case 'sleep':
        this.moves.push(holdPosition(entry, action.dueAt, version.definition));
        return undefined;
      case 'move':
        this.log(entry, action.stepId, action.move);
        this.moves.push({ id: entry.id, stepIndex: action.to, state: 'active', dueAt: now, waitStartedAt: null, waitingEvent: null });
        return undefined;
      case 'execute':
        return { entry, version, step: action.step, next: action.next, deliveryKey: `journey:${entry.id}:${action.step.id}` };
    }
  }

  /** Writes the round; held entries are looked at again at `holdUntil` (a lease ahead) unless made live before. */
  async write(tx: EntityManager, holdUntil: Date): Promise<void> {
    await repo.logSteps(tx, this.logs);
    await repo.moveEntries(tx, this.moves);
    await repo.exitEntries(tx, this.exits);
    await repo.holdEntries(tx, this.holds, holdUntil, this.now);
  }

  private log(entry: repo.EntryRow, stepId: string, outcome: string): void {
    this.logs.push({ entryId: entry.id, journeyId: entry.journeyId, stepId, outcome, deliveryKey: null, detail: null, at: this.now });
  }
}

/** Keeps an entry where it is until `dueAt` (its wait, if any, still running; a wait_until still listening). */
function holdPosition(entry: repo.EntryRow, dueAt: Date, definition: JourneyDefinition): repo.EntryUpdate {
  const step = definition.steps[entry.stepIndex];
  const listening = entry.arm === 'treatment' && entry.state === 'waiting' && step?.type === 'wait_until' ? step.event : null;
  return {
    id: entry.id,
    stepIndex: entry.stepIndex,
    state: entry.state === 'done' ? 'active' : entry.state,
    dueAt,
    waitStartedAt: entry.waitStartedAt,
    waitingEvent: listening,
  };
}

function positionOf(entry: repo.EntryRow): EntryPosition {
  return {
    arm: entry.arm,
    enteredAt: entry.enteredAt,
    stepIndex: entry.stepIndex,
    state: entry.state === 'waiting' ? 'waiting' : 'active',
    waitStartedAt: entry.waitStartedAt,
  };
}

/**
 * The number of a new entry of a profile, or null when the re-entry rule refuses it: `once` never
 * again; `after_days` only when the previous entry is done and entered at least that many days ago.
 */
export function nextEntryNumber(
  definition: JourneyDefinition,
  latest: { entryNumber: number; enteredAt: Date; state: string } | undefined,
  now: Date,
): number | null {
  if (!latest) return 1;
  if (definition.reEntry.mode === 'once' || latest.state !== 'done') return null;
  const elapsedDays = (now.getTime() - latest.enteredAt.getTime()) / (24 * 3600 * 1000);
  return elapsedDays >= definition.reEntry.days ? latest.entryNumber + 1 : null;
}

function uniquePairs(rows: repo.PendingEntryRow[]): { journeyId: string; profileId: string }[] {
  const seen = new Map<string, { journeyId: string; profileId: string }>();
  for (const row of rows) seen.set(repo.pairKey(row.journeyId, row.profileId), { journeyId: row.journeyId, profileId: row.profileId });
  return [...seen.values()];
}

function versionKey(journeyId: string, version: number): string {
  return `${journeyId}@${version}`;
}

function groupBySteps(executions: Execution[]): Execution[][] {
  const groups = new Map<string, Execution[]>();
  for (const execution of executions) {
    const key = `${versionKey(execution.entry.journeyId, execution.version.row.version)}:${execution.step.id}`;
    groups.set(key, [...(groups.get(key) ?? []), execution]);
  }
  return [...groups.values()];
}
