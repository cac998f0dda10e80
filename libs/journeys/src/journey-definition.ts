/**
 * A journey's definition (issue #23): the JSON stored per version in `journey_versions.definition`
 * and sent by the admin API. Steps run in order unless a `branch` or a `wait_until` timeout jumps;
 * every jump goes FORWARD (validation refuses a jump to the same or an earlier step), so an entry
 * runs each step at most once — which is what makes `journey_step_log`'s UNIQUE (entry, step) the
 * exactly-once record.
 */
export type JourneyStep = SendStep | AudienceStep | WaitStep | WaitUntilStep | BranchStep | ExitStep;

/** A message through a destination that sends (`connector.send`); `message` is the connector's template, as an activation's `message`. */
export interface SendStep {
  id: string;
  type: 'send';
  /** Destination id. */
  destination: string;
  message: Record<string, unknown>;
}

/** Adds the profile to (or removes it from) the destination's audience of this journey step (`connector.upsert` / `remove`). */
export interface AudienceStep {
  id: string;
  type: 'audience';
  destination: string;
  action: 'add' | 'remove';
}

export interface WaitStep {
  id: string;
  type: 'wait';
  seconds: number;
}

/** Waits until an event of this name (since the wait started) or the timeout; on timeout goes to `onTimeout` (default: the next step). */
export interface WaitUntilStep {
  id: string;
  type: 'wait_until';
  event: string;
  timeoutSeconds: number;
  onTimeout?: string;
}

export type BranchCondition = { inSegment: string } | { eventSinceEntry: string };

/** Goes to `then` when the condition holds (segment id: a member now; event: seen since entry), else to `else`. */
export interface BranchStep {
  id: string;
  type: 'branch';
  condition: BranchCondition;
  then: string;
  else: string;
}

export interface ExitStep {
  id: string;
  type: 'exit';
}

export type ReEntryRule = { mode: 'once' } | { mode: 'after_days'; days: number };

export interface JourneyDefinition {
  /** Segment id: a profile enters when it is added to this segment (real-time or batch). */
  entrySegmentId: string;
  /** The KPI: an event of this name within `withinDays` of entry. Reached before a step, the entry exits `goal_reached`. */
  goal: { event: string; withinDays: number };
  /** Share of entries held out at entry as control (0..0.5), by the sticky hash keyed by the journey's salt. */
  holdoutShare: number;
  reEntry: ReEntryRule;
  steps: JourneyStep[];
}

export type JourneyStepType = JourneyStep['type'];
export const JOURNEY_STEP_TYPES: readonly JourneyStepType[] = ['send', 'audience', 'wait', 'wait_until', 'branch', 'exit'];

/** The largest control share a journey may hold out. */
export const MAX_JOURNEY_HOLDOUT_SHARE = 0.5;
