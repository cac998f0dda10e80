import { assertNever } from '@audiencekit/util';
import { Condition, RecencyCondition } from '../rules/definition.schema';
import { NormalisedEvent, ProfileEvaluator } from '../rules/evaluate';
import { lifecycleInstants } from '../rules/lifecycle/lifecycle-evaluate';
import { comparisonBounds } from '../rules/semantics';
import { parseWindow } from '../rules/window';

const DAY_MS = 86_400_000;

/**
 * The instants after `now` at which a rules condition may change its verdict for this profile
 * with no new data (its `segment` leaves aside: their instants are those of the referenced
 * segments). As a function of time the verdict is piecewise constant and right-continuous, and
 * `now` is a whole millisecond, so each instant is the first whole millisecond of a new piece:
 * - `last N`: an event at ts is in (t − N, t] for t ∈ [ts, ts + N): instants ts and ts + N;
 * - `ever`: an event at ts is in (−∞, t] from t = ts: instant ts (only future events matter);
 * - `between`: fixed bounds, no instant; traits: none;
 * - recency: the last event changes at each later event, and "days since" crosses a bound d at
 *   last + d days (`gte` from that instant, `gt` from 1 ms later: both are instants).
 * Extra instants are harmless (the caller evaluates there and sees no change); a missing one is a bug.
 */
export function changeInstants(condition: Condition, evaluator: ProfileEvaluator, now: number, into: Set<number>): void {
  const add = (instant: number) => {
    if (instant > now && Number.isFinite(instant)) into.add(instant);
  };
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'all':
      case 'any':
        return node.conditions.forEach(visit);
      case 'not':
        return visit(node.condition);
      case 'trait':
      case 'segment':
      case 'computed_trait':
        return;
      case 'event':
      case 'frequency':
        return windowInstants(node.window, evaluator.eventsOf(node), add);
      case 'recency':
        return recencyInstants(node, evaluator.eventsOf(node), now, add);
      case 'location':
        // The last known location changes when a located event enters the window (ts) or leaves it (ts + N).
        return windowInstants(node.window ?? 'ever', evaluator.located(), add);
      case 'sequence':
        return lifecycleInstants(
          node,
          node.steps.map((step) => evaluator.timesOf(step)),
          now,
          add,
        );
      case 'first_time':
      case 'stopped':
      case 'regularly':
        return lifecycleInstants(node, [evaluator.timesOf(node)], now, add);
      default:
        return assertNever(node, 'condition');
    }
  };
  visit(condition);
}

function windowInstants(windowText: string, events: readonly { timestamp: number }[], add: (instant: number) => void): void {
  const { window } = parseWindow(windowText);
  if (!window) throw new Error(`window "${windowText}" does not parse`);
  if (window.kind === 'between') return;
  for (const { timestamp } of events) {
    add(Math.ceil(timestamp));
    if (window.kind === 'last') add(Math.ceil(timestamp + window.milliseconds));
  }
}

function recencyInstants(node: RecencyCondition, events: readonly NormalisedEvent[], now: number, add: (instant: number) => void): void {
  const bounds = comparisonBounds(node.operator, node.days);
  const days = [bounds.low, bounds.high].filter((bound): bound is number => typeof bound === 'number');
  // Only the last event at now and later ones can be "the last event" at some instant after now.
  const lastAtNow = events.reduce((last, event) => (event.timestamp <= now ? Math.max(last, event.timestamp) : last), -Infinity);
  for (const { timestamp } of events) {
    if (!(timestamp >= lastAtNow)) continue;
    add(Math.ceil(timestamp));
    for (const count of days) {
      const crossing = timestamp + count * DAY_MS;
      add(Math.ceil(crossing));
      add(Math.floor(crossing) + 1);
    }
  }
}
