import { Condition, SegmentDefinition } from '../rules/definition.schema';
import { durationMs } from '../rules/lifecycle/duration';
import { parseWindow } from '../rules/window';

export interface RealtimeProblem {
  /** Path under the request body, e.g. `definition.match.conditions.1.window`. */
  path: string;
  message: string;
}

export interface RealtimeLimits {
  /** The days of history real-time evaluation reads (`AK_REALTIME_HISTORY_DAYS`); unset = all of it. */
  historyDays?: number;
  /** The instant `between` windows are judged at; required with `historyDays`. */
  now?: Date;
}

const DAY_MS = 86_400_000;
const HISTORY_SETTING = 'AK_REALTIME_HISTORY_DAYS';

/**
 * Why a definition cannot be a real-time segment; empty when it can. Population-wide types are
 * refused outright; with `historyDays`, so is every leaf that reads further back than the history
 * real-time evaluation loads. References to batch segments need the database: the caller checks
 * them with `segmentReferencePaths`.
 * @throws {RangeError} when `historyDays` is not a positive number, or is set without `now`.
 * @example realtimeProblems({ type: 'rfm', tiers: ['champions'] } as SegmentDefinition, {})
 *   // [{ path: 'definition.type', message: 'an rfm segment ranks profiles … one profile at a time' }]
 */
export function realtimeProblems(definition: SegmentDefinition, limits: RealtimeLimits = {}): RealtimeProblem[] {
  switch (definition.type) {
    case 'rfm':
    case 'intent_value':
      return [
        {
          path: 'definition.type',
          message: `a ${definition.type} segment ranks profiles against the whole population (quintiles): it cannot be evaluated one profile at a time`,
        },
      ];
    case 'cluster':
    case 'propensity':
    case 'clv':
      return [
        {
          path: 'definition.type',
          message: `a ${definition.type} segment is scored by a fitted model over the population: it cannot be evaluated one profile at a time`,
        },
      ];
    case 'list':
      return [{ path: 'definition.type', message: 'a list segment changes only when a list is uploaded: it cannot be real time' }];
    case 'rules':
      if (limits.historyDays === undefined) return [];
      if (!(limits.historyDays > 0)) throw new RangeError(`historyDays must be a positive number, got ${limits.historyDays}`);
      if (!limits.now) throw new RangeError('historyDays needs now (between windows are judged against it)');
      return historyProblems(definition.match, 'definition.match', limits.historyDays, limits.now.getTime());
  }
}

function historyProblems(node: Condition, path: string, historyDays: number, now: number): RealtimeProblem[] {
  const limit = `real-time evaluation reads ${historyDays} days of history (${HISTORY_SETTING})`;
  switch (node.type) {
    case 'all':
    case 'any':
      return node.conditions.flatMap((child, index) => historyProblems(child, `${path}.conditions.${index}`, historyDays, now));
    case 'not':
      return historyProblems(node.condition, `${path}.condition`, historyDays, now);
    case 'event':
    case 'frequency': {
      const message = windowProblem(node.window, historyDays, now);
      return message ? [{ path: `${path}.window`, message: `${message}; ${limit}` }] : [];
    }
    case 'recency':
      return [{ path, message: `recency reads the profile's whole history (the last event ever); ${limit}` }];
    case 'location': {
      if (node.window === undefined)
        return [{ path, message: `a location without a window reads the profile's whole history (the last located event ever); ${limit}` }];
      const message = windowProblem(node.window, historyDays, now);
      return message ? [{ path: `${path}.window`, message: `${message}; ${limit}` }] : [];
    }
    case 'sequence':
    case 'regularly': {
      const message = windowProblem(node.window, historyDays, now);
      return message ? [{ path: `${path}.window`, message: `${message}; ${limit}` }] : [];
    }
    case 'first_time':
      return [{ path, message: `first_time reads the profile's whole history (no earlier occurrence at all); ${limit}` }];
    case 'stopped': {
      const days = (durationMs(node.active) + durationMs(node.quiet)) / DAY_MS;
      return days > historyDays
        ? [{ path: `${path}.active`, message: `active + quiet reach back ${formatDays(days)} days; ${limit}` }]
        : [];
    }
    default:
      return [];
  }
}

function windowProblem(text: string, historyDays: number, now: number): string | undefined {
  const window = parseWindow(text).window;
  if (!window) return `window "${text}" does not parse`;
  switch (window.kind) {
    case 'ever':
      return `window "${text}" reads the profile's whole history`;
    case 'last':
      return window.milliseconds > historyDays * DAY_MS ? `window "${text}" is longer than ${historyDays} days` : undefined;
    case 'between': {
      const daysBack = (now - window.from) / DAY_MS;
      return daysBack > historyDays ? `window "${text}" starts ${formatDays(daysBack)} days before now` : undefined;
    }
  }
}

function formatDays(days: number): string {
  return Number.isInteger(days) ? String(days) : days.toFixed(1);
}

/**
 * The path of every `segment` condition (and of an intent × value cell's intent segment) with the
 * key or id it names, so a caller that finds a reference to a batch segment can say where it is.
 * @example segmentReferencePaths(definition) // [{ path: 'definition.match.conditions.0', segment: 'vip' }]
 */
export function segmentReferencePaths(definition: SegmentDefinition): { path: string; segment: string }[] {
  if (definition.type === 'intent_value')
    return definition.intent.source === 'segment' ? [{ path: 'definition.intent.segment', segment: definition.intent.segment }] : [];
  if (definition.type !== 'rules') return [];
  const found: { path: string; segment: string }[] = [];
  const visit = (node: Condition, path: string): void => {
    if (node.type === 'segment') found.push({ path, segment: node.segment });
    else if (node.type === 'all' || node.type === 'any')
      node.conditions.forEach((child, index) => visit(child, `${path}.conditions.${index}`));
    else if (node.type === 'not') visit(node.condition, `${path}.condition`);
  };
  visit(definition.match, 'definition.match');
  return found;
}
