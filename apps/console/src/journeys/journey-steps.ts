import type { JourneyStep, JourneyStepType } from './journeys-api';

/**
 * The fields of each step type, as the definition schema names them (libs/journeys README): the
 * editor draws one input per field and the journey page describes a step from the same table, so a
 * field added here appears in both. `path` is the field's dot path inside the step.
 */
export interface StepField {
  path: string;
  label: string;
  kind: 'destination' | 'segment' | 'text' | 'duration' | 'step' | 'choice';
  options?: readonly string[];
  optional?: boolean;
}

export const STEP_TYPES: readonly JourneyStepType[] = ['send', 'audience', 'wait', 'wait_until', 'branch', 'exit'];

export const STEP_TYPE_LABELS: Record<JourneyStepType, string> = {
  send: 'Send a message',
  audience: 'Ads audience',
  wait: 'Wait',
  wait_until: 'Wait until an event',
  branch: 'Branch',
  exit: 'Exit',
};

export const STEP_FIELDS: Record<JourneyStepType, readonly StepField[]> = {
  send: [
    { path: 'destination', label: 'Destination', kind: 'destination' },
    { path: 'message.subject', label: 'Subject', kind: 'text', optional: true },
    { path: 'message.text', label: 'Message', kind: 'text', optional: true },
    { path: 'message.templateId', label: 'Template id', kind: 'text', optional: true },
  ],
  audience: [
    { path: 'destination', label: 'Destination', kind: 'destination' },
    { path: 'action', label: 'Action', kind: 'choice', options: ['add', 'remove'] },
  ],
  wait: [{ path: 'seconds', label: 'Wait for', kind: 'duration' }],
  wait_until: [
    { path: 'event', label: 'Until event', kind: 'text' },
    { path: 'timeoutSeconds', label: 'At most', kind: 'duration' },
    { path: 'onTimeout', label: 'On timeout go to', kind: 'step', optional: true },
  ],
  // Either condition: a member of the segment now, or the event seen since entry (the segment wins when both are set).
  branch: [
    { path: 'condition.inSegment', label: 'If in segment', kind: 'segment', optional: true },
    { path: 'condition.eventSinceEntry', label: 'or if event since entry', kind: 'text', optional: true },
    { path: 'then', label: 'Then go to', kind: 'step' },
    { path: 'else', label: 'Else go to', kind: 'step' },
  ],
  exit: [],
};

export const DURATION_UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** 259200 → "3 days", 5400 → "90 minutes": the largest unit that divides the seconds. */
export function durationText(seconds: number): string {
  const unit = (['days', 'hours', 'minutes'] as const).find((candidate) => seconds > 0 && seconds % DURATION_UNITS[candidate] === 0);
  return unit ? `${seconds / DURATION_UNITS[unit]} ${unit}` : `${seconds} seconds`;
}

/** "3 days" → 259200; anything else stays as typed, so the API refuses it with the field's path. */
export function durationSeconds(text: string): number | string {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(minutes|hours|days|seconds)\s*$/.exec(text);
  if (!match) return text;
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2] as DurationUnit]);
}

export function getPath(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), value);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
}

/** A step in the editor: every field as the text of its input. `uid` keys the card while steps move. */
export interface StepDraft {
  uid: number;
  id: string;
  type: JourneyStepType;
  values: Record<string, string>;
  /** The stored step it was loaded from: fields the form does not draw (a message's other keys) are kept on save. */
  stored?: JourneyStep;
}

let nextUid = 1;

/** A new step of `type`, its id the first free `<type>_<n>`. */
export function newStep(type: JourneyStepType, existing: readonly StepDraft[]): StepDraft {
  let n = 1;
  while (existing.some((step) => step.id === `${type}_${n}`)) n += 1;
  const values: Record<string, string> = {};
  for (const field of STEP_FIELDS[type]) values[field.path] = field.kind === 'choice' ? (field.options?.[0] ?? '') : '';
  return { uid: nextUid++, id: `${type}_${n}`, type, values };
}

/** A stored step as the editor's texts (durations in words), for editing an existing journey. */
export function draftOf(step: JourneyStep): StepDraft {
  const values: Record<string, string> = {};
  for (const field of STEP_FIELDS[step.type] ?? []) {
    const value = getPath(step, field.path);
    values[field.path] =
      value === undefined || value === null
        ? ''
        : field.kind === 'duration' && typeof value === 'number'
          ? durationText(value)
          : String(value);
  }
  return { uid: nextUid++, id: step.id, type: step.type, values, stored: step };
}

/**
 * The step the API receives: empty optional fields left out, durations in seconds, and what the
 * stored step had beyond the drawn fields kept. A send's `message` is always an object (the API
 * refuses a send without one), an empty branch condition is left out for the API to name.
 */
export function stepOf(draft: StepDraft): JourneyStep {
  const base = draft.stored?.type === draft.type ? (JSON.parse(JSON.stringify(draft.stored)) as JourneyStep) : {};
  const step: JourneyStep = { ...base, id: draft.id, type: draft.type };
  if (draft.type === 'send' && typeof step['message'] !== 'object') step['message'] = {};
  for (const field of STEP_FIELDS[draft.type]) {
    const text = draft.values[field.path] ?? '';
    if (text.trim() === '' && field.optional) setPath(step, field.path, undefined);
    else setPath(step, field.path, field.kind === 'duration' ? durationSeconds(text) : text);
  }
  if (draft.type === 'branch' && Object.keys((step['condition'] as object | undefined) ?? {}).length === 0) delete step['condition'];
  return step;
}

/** Moves the step at `index` by `by` (-1 up, +1 down); out of range leaves the list as it is. */
export function moveStep<T>(steps: readonly T[], index: number, by: -1 | 1): T[] {
  const target = index + by;
  if (index < 0 || target < 0 || target >= steps.length) return [...steps];
  const moved = [...steps];
  [moved[index], moved[target]] = [moved[target], moved[index]];
  return moved;
}

/**
 * One line per step for the flow: "Send through Mail: “20% off” (We miss you!…)", "Wait 3 days",
 * "Branch: in segment vip → then offer_2, else done". Destination and segment ids are named through
 * the lookups when known.
 */
export function describeStep(
  step: JourneyStep,
  names: { destination?: (id: string) => string; segment?: (id: string) => string } = {},
): string {
  const text = (path: string) => {
    const value = getPath(step, path);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const destinationId = text('destination');
  const destination = destinationId ? (names.destination?.(destinationId) ?? destinationId) : '?';
  switch (step.type) {
    case 'send': {
      const about = text('message.subject') ?? text('message.templateId') ?? text('message.text');
      return `Send through ${destination}${about ? `: “${about}”` : ''}`;
    }
    case 'audience':
      return `${text('action') === 'remove' ? 'Remove from' : 'Add to'} the audience of ${destination}`;
    case 'wait':
      return `Wait ${typeof step['seconds'] === 'number' ? durationText(step['seconds']) : (text('seconds') ?? '?')}`;
    case 'wait_until': {
      const timeout = step['timeoutSeconds'];
      const at = typeof timeout === 'number' ? `, at most ${durationText(timeout)}` : '';
      return `Wait until “${text('event') ?? '?'}”${at}${text('onTimeout') ? `, then on timeout go to ${text('onTimeout')}` : ''}`;
    }
    case 'branch': {
      const segment = text('condition.inSegment');
      const event = text('condition.eventSinceEntry');
      const condition = segment ? `in segment ${names.segment?.(segment) ?? segment}` : event ? `did “${event}” since entry` : '?';
      return `Branch: ${condition} → then ${text('then') ?? '?'}, else ${text('else') ?? '?'}`;
    }
    case 'exit':
      return 'Exit';
    default:
      return String(step.type);
  }
}
