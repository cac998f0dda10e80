import type { RealtimeLimits, RealtimeProblem } from '../realtime/realtime-problems';
import { parseWindow } from '../rules/window';
import { readsSignals, type ComputedTraitDefinition } from './computed-trait-definition.schema';

const DAY_MS = 86_400_000;

/**
 * Why a computed trait cannot be maintained in real time; empty when it can. It only ever needs the
 * profile's own events, so the one limit is the history real-time evaluation loads
 * (`AK_REALTIME_HISTORY_DAYS`): a window reaching further back is refused, naming `definition.window`.
 * @example computedTraitRealtimeProblems({ function: 'count', event: 'x', window: 'ever' }, { historyDays: 90, now })
 *   // [{ path: 'definition.window', message: 'window "ever" reads the profile's whole history; …' }]
 */
export function computedTraitRealtimeProblems(definition: ComputedTraitDefinition, limits: RealtimeLimits = {}): RealtimeProblem[] {
  // Signals are stored by the worker after the event was accepted, with no hand-off to real time:
  // a real-time value would miss them. The scheduled refresh reads them.
  if (readsSignals(definition))
    return [
      { path: 'definition', message: 'reads text signals, which the worker adds after ingestion: use a cron cadence, not real time' },
    ];
  if (limits.historyDays === undefined) return [];
  const now = (limits.now ?? new Date()).getTime();
  const window = parseWindow(definition.window).window;
  const limit = `real-time evaluation reads ${limits.historyDays} days of history (AK_REALTIME_HISTORY_DAYS)`;
  let problem: string | undefined;
  if (!window) problem = `window "${definition.window}" does not parse`;
  else if (window.kind === 'ever') problem = `window "${definition.window}" reads the profile's whole history`;
  else if (window.kind === 'last' && window.milliseconds > limits.historyDays * DAY_MS)
    problem = `window "${definition.window}" is longer than ${limits.historyDays} days`;
  else if (window.kind === 'between' && (now - window.from) / DAY_MS > limits.historyDays)
    problem = `window "${definition.window}" starts more than ${limits.historyDays} days before now`;
  return problem ? [{ path: 'definition.window', message: `${problem}; ${limit}` }] : [];
}
