import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { buildLiftReport, ExperimentationException, LiftReport } from '@audiencekit/experimentation';
import { JourneyDefinition, JourneyStepType, validateJourneyDefinition } from '@audiencekit/journeys';
import * as repo from './data/journeys.repository';

/**
 * The pre-send filters' verdicts (libs/activation-engine's pipeline/eligibility.ts, the prefix of a
 * `skipped` row's detail) by the report count they go to; any other skip counts as `skipped`.
 * Suppression and consent share the verdict `suppressed`.
 */
type FilterCount = 'suppressed' | 'heldOut' | 'invalid';
const COUNT_OF_VERDICT: ReadonlyMap<string, FilterCount> = new Map<string, FilterCount>([
  ['suppressed', 'suppressed'],
  ['heldOutGlobal', 'heldOut'],
  ['heldOutActivation', 'heldOut'],
  ['invalid', 'invalid'],
]);

/** Per step of the journey's current version (counts over every version, matched by step id). */
export interface JourneyStepReport {
  stepId: string;
  type: JourneyStepType;
  /** send: delivered messages; audience: members added or removed. */
  sent: number;
  /** Not delivered by a pre-send filter: on the suppression list, unsubscribed, no consent, profile deleted or merged. */
  suppressed: number;
  /** Not delivered: held out (global holdout or the journey's control group) by the core's re-check. 0 for treated entries; kept visible so a tampered arm shows. */
  heldOut: number;
  /** Not delivered: no valid identifier of a kind the connector needs. */
  invalid: number;
  /** Not delivered, skipped for any other reason (e.g. a connector that cannot do the step). */
  skipped: number;
  /** Not delivered: a frequency cap (`capped`), the vendor (`rejected`), or a failure. */
  capped: number;
  rejected: number;
  failed: number;
  /** At the vendor right now (or left by a crash, replayed after the lease). */
  inFlight: number;
  /** Entries waiting at this step now (wait, wait_until). */
  waiting: number;
  /** Waits that ended: by their time, by the awaited event, by the timeout. */
  waited: number;
  eventSeen: number;
  timedOut: number;
  branchedThen: number;
  branchedElse: number;
  /** Entries that left through this exit step. */
  exited: number;
}

export interface JourneyReport {
  journeyId: string;
  currentVersion: number;
  asOf: string;
  goal: { event: string; withinDays: number };
  entries: {
    entered: number;
    treatment: number;
    control: number;
    globalHoldout: number;
    inFlight: number;
    goalReached: number;
    completed: number;
    exited: number;
  };
  steps: JourneyStepReport[];
  /**
   * The goal's lift, treated vs control, over entries whose goal window has closed by `asOf`
   * (libs/experimentation's `buildLiftReport`); null with `liftUnavailable` when there is no control
   * group yet or the numbers cannot make a report.
   */
  lift: LiftReport | null;
  liftUnavailable: string | null;
}

const DAY_MS = 86_400_000;

/**
 * The journey report (issue #23) for the admin API: per-step counts (entered, sent, waiting,
 * branched, exited, goal reached) and the goal's lift for treated vs control entries. Returns null
 * for an unknown journey or one without a version (the API answers 404).
 */
@Injectable()
export class JourneyReportService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async report(journeyId: string, asOf: Date = new Date()): Promise<JourneyReport | null> {
    const manager = this.dataSource.manager;
    const [current] = await repo.journeyVersions(manager, [{ journeyId, version: null }]);
    if (!current) return null;
    const checked = validateJourneyDefinition(current.definition);
    if (!checked.ok) return null;
    const definition = checked.definition;
    const entryRows = await repo.entryCounts(manager, journeyId);
    const stepOutcomes = await repo.stepOutcomeCounts(manager, journeyId);
    const definitions = await this.definitionsOf(journeyId, [...new Set(entryRows.map((row) => row.version))], current.version, definition);
    const steps = definition.steps.map((step) => stepReport(step.id, step.type, stepOutcomes, entryRows, definitions));
    const sum = (filter: (row: (typeof entryRows)[number]) => boolean) =>
      entryRows.filter(filter).reduce((total, row) => total + row.count, 0);
    const conversions = await repo.goalConversions(manager, {
      journeyId,
      goalEvent: definition.goal.event,
      withinDays: definition.goal.withinDays,
      now: asOf,
    });
    const { lift, liftUnavailable } = liftOf(definition, conversions, asOf);
    return {
      journeyId,
      currentVersion: current.version,
      asOf: asOf.toISOString(),
      goal: definition.goal,
      entries: {
        entered: sum(() => true),
        treatment: sum((row) => row.arm === 'treatment'),
        control: sum((row) => row.arm === 'control'),
        globalHoldout: sum((row) => row.arm === 'global_holdout'),
        inFlight: sum((row) => row.state !== 'done'),
        goalReached: sum((row) => row.outcome === 'goal_reached'),
        completed: sum((row) => row.outcome === 'completed'),
        exited: sum((row) => row.outcome === 'exited'),
      },
      steps,
      lift,
      liftUnavailable,
    };
  }

  /** The definitions of the versions entries are on (to map their step index to a step id). */
  private async definitionsOf(
    journeyId: string,
    versions: number[],
    currentVersion: number,
    current: JourneyDefinition,
  ): Promise<Map<number, JourneyDefinition>> {
    const result = new Map<number, JourneyDefinition>([[currentVersion, current]]);
    const others = versions.filter((version) => version !== currentVersion);
    for (const row of await repo.journeyVersions(
      this.dataSource.manager,
      others.map((version) => ({ journeyId, version })),
    )) {
      const checked = validateJourneyDefinition(row.definition);
      if (checked.ok) result.set(row.version, checked.definition);
    }
    return result;
  }
}

function stepReport(
  stepId: string,
  type: JourneyStepType,
  outcomes: repo.StepOutcomeCount[],
  entries: { version: number; arm: string; state: string; stepIndex: number; count: number }[],
  definitions: Map<number, JourneyDefinition>,
): JourneyStepReport {
  const ofStep = outcomes.filter((row) => row.stepId === stepId);
  const count = (...names: string[]) => ofStep.filter((row) => names.includes(row.outcome)).reduce((total, row) => total + row.count, 0);
  const skipped = (name: FilterCount | null) =>
    ofStep
      .filter((row) => row.outcome === 'skipped' && (COUNT_OF_VERDICT.get(row.verdict ?? '') ?? null) === name)
      .reduce((total, row) => total + row.count, 0);
  const waiting = entries
    .filter(
      (row) => row.arm === 'treatment' && row.state === 'waiting' && definitions.get(row.version)?.steps[row.stepIndex]?.id === stepId,
    )
    .reduce((total, row) => total + row.count, 0);
  return {
    stepId,
    type,
    sent: count('sent', 'added', 'removed'),
    suppressed: skipped('suppressed'),
    heldOut: skipped('heldOut'),
    invalid: skipped('invalid'),
    skipped: skipped(null),
    capped: count('capped'),
    rejected: count('rejected'),
    failed: count('failed'),
    inFlight: count('in_flight'),
    waiting,
    waited: count('waited'),
    eventSeen: count('event_seen'),
    timedOut: count('timed_out'),
    branchedThen: count('branched_then'),
    branchedElse: count('branched_else'),
    exited: count('exited'),
  };
}

function liftOf(
  definition: JourneyDefinition,
  conversions: { arm: string; entries: number; conversions: number; firstEnteredAt: Date | null }[],
  asOf: Date,
): { lift: LiftReport | null; liftUnavailable: string | null } {
  if (!(definition.holdoutShare > 0))
    return { lift: null, liftUnavailable: 'the journey holds nobody back (holdoutShare 0): no control group' };
  const arm = (name: string) => conversions.find((row) => row.arm === name) ?? { entries: 0, conversions: 0, firstEnteredAt: null };
  const [treatment, control] = [arm('treatment'), arm('control')];
  const firsts = [treatment.firstEnteredAt, control.firstEnteredAt]
    .filter((time): time is Date => time !== null)
    .map((time) => time.getTime());
  if (firsts.length === 0)
    return { lift: null, liftUnavailable: `no entry has completed its ${definition.goal.withinDays}-day goal window yet` };
  const start = Math.min(...firsts);
  try {
    return {
      lift: buildLiftReport({
        controlShare: definition.holdoutShare,
        window: {
          start: new Date(start).toISOString(),
          end: new Date(Math.max(asOf.getTime(), start + definition.goal.withinDays * DAY_MS)).toISOString(),
        },
        arms: {
          control: { members: control.entries, conversions: control.conversions },
          treatment: { members: treatment.entries, conversions: treatment.conversions },
        },
      }),
      liftUnavailable: null,
    };
  } catch (error) {
    if (!(error instanceof ExperimentationException)) throw error;
    return { lift: null, liftUnavailable: error.message };
  }
}
