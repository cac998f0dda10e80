import type { AudienceStep, BranchCondition, JourneyDefinition, SendStep, WaitStep, WaitUntilStep } from './journey-definition';

/** Why an entry left its journey. */
export type JourneyExitReason = 'goal_reached' | 'completed' | 'exit_step';

/** Arms at entry: `treatment` runs the steps; `control` (the journey's holdout) and `global_holdout` never do. */
export type JourneyArm = 'treatment' | 'control' | 'global_holdout';

/** Where an entry is (the columns of `journey_entries` the machine reads). */
export interface EntryPosition {
  arm: JourneyArm;
  enteredAt: Date;
  /** The step to run next; `steps.length` (or more) means every step is behind it. */
  stepIndex: number;
  /** `waiting`: inside a wait / wait_until of `stepIndex` that started at `waitStartedAt`. */
  state: 'active' | 'waiting';
  waitStartedAt: Date | null;
}

/** What the database said, for this entry and its current step (`factsNeeded` says what to look up). */
export interface StepFacts {
  /** An event named as the goal since entry. */
  goalReached: boolean;
  /** wait_until only: an event of the awaited name since the wait started. */
  awaitedEventSeen?: boolean;
  /** branch only: the condition holds (a member of the segment now / the event since entry). */
  conditionHolds?: boolean;
}

/** The look-ups `nextJourneyAction` needs for an entry at this position. */
export interface FactsNeeded {
  goalEvent: string;
  /** The awaited event and since when (a waiting wait_until). */
  awaitedEvent?: { name: string; since: Date };
  /** A branch's condition (events: since entry). */
  condition?: BranchCondition;
}

export type StepMove = 'waited' | 'event_seen' | 'timed_out' | 'branched_then' | 'branched_else';

export type JourneyAction =
  /** The entry is done: `journey_entries.state = done`, `outcome` from the reason. */
  | { kind: 'exit'; reason: JourneyExitReason; stepId?: string }
  /** Run a send / audience step through the activation core, then go to `next`. */
  | { kind: 'execute'; step: SendStep | AudienceStep; next: number }
  /** Begin a wait: state `waiting`, `due_at = dueAt`, `wait_started_at = now`; `wakeOn` an event of that name ends it early. */
  | { kind: 'start_wait'; step: WaitStep | WaitUntilStep; dueAt: Date; wakeOn: string | null }
  /** Nothing to do yet (woken early by an event that does not count, or claimed before its time): due again at `dueAt`. */
  | { kind: 'sleep'; dueAt: Date }
  /** A wait ended or a branch chose: go to step `to` (logged as `move` for `stepId`). */
  | { kind: 'move'; stepId: string; to: number; move: StepMove };

const DAY_MS = 24 * 3600 * 1000;

/** What to look up in the database before asking `nextJourneyAction`. */
export function factsNeeded(definition: JourneyDefinition, position: EntryPosition): FactsNeeded {
  const needed: FactsNeeded = { goalEvent: definition.goal.event };
  if (position.arm !== 'treatment') return needed;
  const step = definition.steps[position.stepIndex];
  if (step?.type === 'wait_until' && position.state === 'waiting' && position.waitStartedAt)
    needed.awaitedEvent = { name: step.event, since: position.waitStartedAt };
  if (step?.type === 'branch') needed.condition = step.condition;
  return needed;
}

/** When a held-out entry's goal window closes (it then completes; it never runs a step). */
export function goalWindowEnd(definition: JourneyDefinition, enteredAt: Date): Date {
  return new Date(enteredAt.getTime() + definition.goal.withinDays * DAY_MS);
}

/**
 * The next thing to do for an entry, as a pure function of its position, the definition, the facts
 * and the time. The rule that stops escalating incentives: BEFORE EVERY STEP, an entry whose goal
 * event happened since entry exits `goal_reached` — so after a conversion no later offer goes out.
 * Held-out entries (control, global holdout) never execute a step: they wait for their goal window
 * (for the lift) and exit `goal_reached` or `completed`.
 */
export function nextJourneyAction(definition: JourneyDefinition, position: EntryPosition, facts: StepFacts, now: Date): JourneyAction {
  if (facts.goalReached) return { kind: 'exit', reason: 'goal_reached' };
  if (position.arm !== 'treatment') {
    const windowEnd = goalWindowEnd(definition, position.enteredAt);
    return now >= windowEnd ? { kind: 'exit', reason: 'completed' } : { kind: 'sleep', dueAt: windowEnd };
  }
  const index = position.stepIndex;
  const step = definition.steps[index];
  if (!step) return { kind: 'exit', reason: 'completed' };
  switch (step.type) {
    case 'send':
    case 'audience':
      return { kind: 'execute', step, next: index + 1 };
    case 'exit':
      return { kind: 'exit', reason: 'exit_step', stepId: step.id };
    case 'branch':
      return facts.conditionHolds
        ? { kind: 'move', stepId: step.id, to: indexOf(definition, step.then), move: 'branched_then' }
        : { kind: 'move', stepId: step.id, to: indexOf(definition, step.else), move: 'branched_else' };
    case 'wait': {
      if (position.state !== 'waiting' || !position.waitStartedAt)
        return { kind: 'start_wait', step, dueAt: after(now, step.seconds), wakeOn: null };
      const dueAt = after(position.waitStartedAt, step.seconds);
      return now >= dueAt ? { kind: 'move', stepId: step.id, to: index + 1, move: 'waited' } : { kind: 'sleep', dueAt };
    }
    case 'wait_until': {
      if (position.state !== 'waiting' || !position.waitStartedAt)
        return { kind: 'start_wait', step, dueAt: after(now, step.timeoutSeconds), wakeOn: step.event };
      if (facts.awaitedEventSeen) return { kind: 'move', stepId: step.id, to: index + 1, move: 'event_seen' };
      const timeoutAt = after(position.waitStartedAt, step.timeoutSeconds);
      if (now < timeoutAt) return { kind: 'sleep', dueAt: timeoutAt };
      const to = step.onTimeout === undefined ? index + 1 : indexOf(definition, step.onTimeout);
      return { kind: 'move', stepId: step.id, to, move: 'timed_out' };
    }
    default:
      return assertNever(step);
  }
}

function indexOf(definition: JourneyDefinition, stepId: string): number {
  const index = definition.steps.findIndex((step) => step.id === stepId);
  // A validated definition never names an unknown step; an unvalidated one ends the journey.
  return index < 0 ? definition.steps.length : index;
}

function after(time: Date, seconds: number): Date {
  return new Date(time.getTime() + seconds * 1000);
}

function assertNever(value: never): never {
  throw new Error(`unknown journey step ${JSON.stringify(value)}`);
}
