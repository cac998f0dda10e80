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
      // The engine logs suppression, consent, held-out and identifier filters as one `skipped` outcome.
      suppressed: null,
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
      /** null: counted in `skipped` (the engine logs every pre-send filter as one outcome). */
      suppressed: count.nullable(),
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
