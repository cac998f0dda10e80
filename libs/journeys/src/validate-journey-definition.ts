import {
  BranchCondition,
  JOURNEY_STEP_TYPES,
  JourneyDefinition,
  JourneyStep,
  MAX_JOURNEY_HOLDOUT_SHARE,
  ReEntryRule,
} from './journey-definition';

export interface JourneyDefinitionProblem {
  /** Where, as the JSON path below the definition: `steps[2].seconds`, `goal.event`, `holdoutShare`. */
  path: string;
  reason: string;
}

export type JourneyValidation = { ok: true; definition: JourneyDefinition } | { ok: false; errors: JourneyDefinitionProblem[] };

/** A wait longer than a year is a typo, not a journey. */
export const MAX_WAIT_SECONDS = 366 * 24 * 3600;
export const MAX_GOAL_DAYS = 366;
export const MAX_JOURNEY_STEPS = 100;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a journey definition from untrusted JSON and returns it normalised (only the known fields
 * kept), or every problem with its path. Rules beyond the shapes: step ids unique; a jump (`then`,
 * `else`, `onTimeout`) names a LATER step (so each step runs at most once per entry); at least one step.
 *
 * @example
 * validateJourneyDefinition({ entrySegmentId: '…uuid…', goal: { event: 'Order Completed', withinDays: 14 },
 *   holdoutShare: 0.1, reEntry: { mode: 'once' }, steps: [{ id: 'w', type: 'wait', seconds: 60 }] }).ok // true
 */
export function validateJourneyDefinition(input: unknown): JourneyValidation {
  const errors: JourneyDefinitionProblem[] = [];
  const problem = (path: string, reason: string): void => {
    errors.push({ path, reason });
  };
  if (!isObject(input)) return { ok: false, errors: [{ path: '', reason: 'must be an object' }] };

  const entrySegmentId = uuidAt(input['entrySegmentId'], 'entrySegmentId', problem);
  const goal = goalAt(input['goal'], problem);
  const holdoutShare = input['holdoutShare'];
  if (typeof holdoutShare !== 'number' || !Number.isFinite(holdoutShare) || holdoutShare < 0 || holdoutShare > MAX_JOURNEY_HOLDOUT_SHARE)
    problem('holdoutShare', `must be a number from 0 to ${MAX_JOURNEY_HOLDOUT_SHARE}`);
  const reEntry = reEntryAt(input['reEntry'], problem);
  const steps = stepsAt(input['steps'], problem);

  if (errors.length > 0 || !entrySegmentId || !goal || !reEntry || !steps) return { ok: false, errors };
  return { ok: true, definition: { entrySegmentId, goal, holdoutShare: holdoutShare as number, reEntry, steps } };
}

type Report = (path: string, reason: string) => void;

function goalAt(value: unknown, problem: Report): JourneyDefinition['goal'] | undefined {
  if (!isObject(value)) {
    problem('goal', 'must be an object { event, withinDays }');
    return undefined;
  }
  const event = eventNameAt(value['event'], 'goal.event', problem);
  const withinDays = wholeAt(value['withinDays'], 'goal.withinDays', 1, MAX_GOAL_DAYS, problem);
  return event !== undefined && withinDays !== undefined ? { event, withinDays } : undefined;
}

function reEntryAt(value: unknown, problem: Report): ReEntryRule | undefined {
  if (!isObject(value)) {
    problem('reEntry', "must be { mode: 'once' } or { mode: 'after_days', days }");
    return undefined;
  }
  if (value['mode'] === 'once') return { mode: 'once' };
  if (value['mode'] === 'after_days') {
    const days = wholeAt(value['days'], 'reEntry.days', 1, MAX_GOAL_DAYS * 10, problem);
    return days === undefined ? undefined : { mode: 'after_days', days };
  }
  problem('reEntry.mode', "must be 'once' or 'after_days'");
  return undefined;
}

function stepsAt(value: unknown, problem: Report): JourneyStep[] | undefined {
  if (!Array.isArray(value)) {
    problem('steps', 'must be an array of steps');
    return undefined;
  }
  if (value.length === 0) {
    problem('steps', 'must have at least one step');
    return undefined;
  }
  if (value.length > MAX_JOURNEY_STEPS) {
    problem('steps', `must have at most ${MAX_JOURNEY_STEPS} steps`);
    return undefined;
  }
  const indexOfId = new Map<string, number>();
  value.forEach((step, index) => {
    const id = isObject(step) ? step['id'] : undefined;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return;
    if (indexOfId.has(id)) problem(`steps[${index}].id`, `duplicate step id "${id}" (also steps[${indexOfId.get(id)}])`);
    else indexOfId.set(id, index);
  });
  const steps = value.map((step, index) => stepAt(step, index, indexOfId, problem));
  return steps.every((step): step is JourneyStep => step !== undefined) ? steps : undefined;
}

function stepAt(value: unknown, index: number, indexOfId: Map<string, number>, problem: Report): JourneyStep | undefined {
  const at = `steps[${index}]`;
  if (!isObject(value)) {
    problem(at, 'must be an object');
    return undefined;
  }
  const id = value['id'];
  const idOk = typeof id === 'string' && ID_PATTERN.test(id);
  if (!idOk) problem(`${at}.id`, 'must be 1-64 letters, digits, _ or -');
  const type = value['type'];
  if (typeof type !== 'string' || !(JOURNEY_STEP_TYPES as readonly string[]).includes(type)) {
    problem(`${at}.type`, `must be one of ${JOURNEY_STEP_TYPES.join(', ')}`);
    return undefined;
  }
  const jump = (field: string, target: unknown): string | undefined => jumpAt(target, `${at}.${field}`, index, indexOfId, problem);
  let step: JourneyStep | undefined;
  switch (type) {
    case 'send': {
      const destination = uuidAt(value['destination'], `${at}.destination`, problem);
      const message = value['message'];
      if (!isObject(message)) problem(`${at}.message`, "must be an object (the connector's message template)");
      if (destination && isObject(message)) step = { id: id as string, type, destination, message };
      break;
    }
    case 'audience': {
      const destination = uuidAt(value['destination'], `${at}.destination`, problem);
      const action = value['action'];
      if (action !== 'add' && action !== 'remove') problem(`${at}.action`, "must be 'add' or 'remove'");
      else if (destination) step = { id: id as string, type, destination, action };
      break;
    }
    case 'wait': {
      const seconds = wholeAt(value['seconds'], `${at}.seconds`, 1, MAX_WAIT_SECONDS, problem);
      if (seconds !== undefined) step = { id: id as string, type, seconds };
      break;
    }
    case 'wait_until': {
      const event = eventNameAt(value['event'], `${at}.event`, problem);
      const timeoutSeconds = wholeAt(value['timeoutSeconds'], `${at}.timeoutSeconds`, 1, MAX_WAIT_SECONDS, problem);
      const onTimeout = value['onTimeout'] === undefined ? undefined : jump('onTimeout', value['onTimeout']);
      const timeoutOk = value['onTimeout'] === undefined || onTimeout !== undefined;
      if (event !== undefined && timeoutSeconds !== undefined && timeoutOk)
        step = { id: id as string, type, event, timeoutSeconds, ...(onTimeout !== undefined ? { onTimeout } : {}) };
      break;
    }
    case 'branch': {
      const condition = conditionAt(value['condition'], `${at}.condition`, problem);
      const then = jump('then', value['then']);
      const otherwise = jump('else', value['else']);
      if (condition && then !== undefined && otherwise !== undefined) step = { id: id as string, type, condition, then, else: otherwise };
      break;
    }
    case 'exit':
      step = { id: id as string, type };
      break;
  }
  return idOk ? step : undefined;
}

/** A jump names a step that comes after this one: journeys never loop, so each step runs at most once per entry. */
function jumpAt(target: unknown, path: string, from: number, indexOfId: Map<string, number>, problem: Report): string | undefined {
  if (typeof target !== 'string' || target === '') {
    problem(path, 'must be a step id');
    return undefined;
  }
  const to = indexOfId.get(target);
  if (to === undefined) {
    problem(path, `unknown step id "${target}"`);
    return undefined;
  }
  if (to <= from) {
    problem(path, `must jump forward: "${target}" is steps[${to}], not after steps[${from}]`);
    return undefined;
  }
  return target;
}

function conditionAt(value: unknown, path: string, problem: Report): BranchCondition | undefined {
  if (isObject(value) && 'inSegment' in value) {
    const segment = uuidAt(value['inSegment'], `${path}.inSegment`, problem);
    return segment === undefined ? undefined : { inSegment: segment };
  }
  if (isObject(value) && 'eventSinceEntry' in value) {
    const event = eventNameAt(value['eventSinceEntry'], `${path}.eventSinceEntry`, problem);
    return event === undefined ? undefined : { eventSinceEntry: event };
  }
  problem(path, 'must be { inSegment: <segment id> } or { eventSinceEntry: <event name> }');
  return undefined;
}

function uuidAt(value: unknown, path: string, problem: Report): string | undefined {
  if (typeof value === 'string' && UUID_PATTERN.test(value)) return value.toLowerCase();
  problem(path, 'must be an id (uuid)');
  return undefined;
}

function eventNameAt(value: unknown, path: string, problem: Report): string | undefined {
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 200) return value;
  problem(path, 'must be an event name (1-200 characters)');
  return undefined;
}

function wholeAt(value: unknown, path: string, min: number, max: number, problem: Report): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  problem(path, `must be a whole number from ${min} to ${max}`);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
