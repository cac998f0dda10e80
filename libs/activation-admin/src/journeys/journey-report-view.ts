import { z } from 'zod';
import type { JourneyReport } from '@audiencekit/journey-engine';

/**
 * `GET /journeys/:ref/report` (issue #23, the contract shared with the console): libs/journey-engine's
 * `JourneyReport` in the admin API's shape. `goalReachedBefore` counts, per step id, the treated
 * entries that reached the goal while that step was next (so it was never run for them: the
 * escalating offers they were spared).
 */
export function journeyReportView(
  journey: { id: string; key: string },
  report: JourneyReport,
  goalReachedBefore: Map<string, number>,
): JourneyReportView {
  return {
    journey: { id: journey.id, key: journey.key },
    version: report.currentVersion,
    asOf: report.asOf,
    goal: report.goal,
    totals: {
      entered: report.entries.entered,
      treatment: report.entries.treatment,
      control: report.entries.control,
      globalHoldout: report.entries.globalHoldout,
      inFlight: report.entries.inFlight,
      goalReached: report.entries.goalReached,
      completed: report.entries.completed,
      exited: report.entries.exited,
    },
    steps: report.steps.map((step) => ({
      id: step.stepId,
      type: step.type,
      // Every entry that reached the step is either logged there (whatever its outcome) or waiting in it.
      entered:
        step.sent +
        step.suppressed +
        step.heldOut +
        step.invalid +
        step.skipped +
        step.capped +
        step.rejected +
        step.failed +
        step.inFlight +
        step.waiting +
        step.waited +
        step.eventSeen +
        step.timedOut +
        step.branchedThen +
        step.branchedElse +
        step.exited,
      sent: step.sent,
      waiting: step.waiting,
      branched: { then: step.branchedThen, else: step.branchedElse },
      exited: step.exited,
      goalReached: goalReachedBefore.get(step.stepId) ?? 0,
      capped: step.capped,
      // The pre-send filters, told apart by the verdict the engine logs with each `skipped` step.
      suppressed: step.suppressed,
      heldOut: step.heldOut,
      invalid: step.invalid,
      skipped: step.skipped,
      rejected: step.rejected,
      failed: step.failed,
      inFlight: step.inFlight,
      waits: { waited: step.waited, eventSeen: step.eventSeen, timedOut: step.timedOut },
    })),
    lift: report.lift
      ? {
          available: true,
          journeyId: journey.id,
          kpi: { event: report.goal.event, windowDays: report.goal.withinDays, valueProperty: null },
          asOf: report.asOf,
          report: report.lift as unknown as Record<string, unknown>,
        }
      : { available: false, reason: report.liftUnavailable ?? 'not available' },
  };
}

const count = z.number().int();

export const journeyReportViewSchema = z.object({
  journey: z.object({ id: z.uuid(), key: z.string() }),
  version: count,
  asOf: z.string(),
  goal: z.object({ event: z.string(), withinDays: count }),
  totals: z.object({
    entered: count,
    treatment: count,
    control: count,
    globalHoldout: count,
    inFlight: count,
    goalReached: count,
    completed: count,
    exited: count,
  }),
  steps: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      entered: count,
      sent: count,
      waiting: count,
      branched: z.object({ then: count, else: count }),
      exited: count,
      /** Treated entries that reached the goal while this step was next (it never ran for them). */
      goalReached: count,
      capped: count,
      /** Not sent: on the suppression list, unsubscribed, no consent, or the profile deleted or merged. */
      suppressed: count,
      /** Not sent: held out (global holdout or control group) by the core's re-check; 0 unless an entry's stored arm was wrong. */
      heldOut: count,
      /** Not sent: no valid identifier of a kind the destination needs. */
      invalid: count,
      /** Not sent for any other reason the engine skipped the member. */
      skipped: count,
      rejected: count,
      failed: count,
      inFlight: count,
      waits: z.object({ waited: count, eventSeen: count, timedOut: count }),
    }),
  ),
  /** The activation lift report's result shape (`kpi`, `asOf`, `report` from libs/experimentation), or why not yet. */
  lift: z.union([
    z.object({
      available: z.literal(true),
      journeyId: z.uuid(),
      kpi: z.object({ event: z.string(), windowDays: count, valueProperty: z.null() }),
      asOf: z.string(),
      report: z.record(z.string(), z.unknown()),
    }),
    z.object({ available: z.literal(false), reason: z.string() }),
  ]),
});
export type JourneyReportView = z.infer<typeof journeyReportViewSchema>;
