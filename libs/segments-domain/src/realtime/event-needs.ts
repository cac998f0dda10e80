import { assertNever } from '@audiencekit/util';
import { Condition, RulesDefinition } from '../rules/definition.schema';
import { durationMs } from '../rules/lifecycle/duration';
import { parseWindow } from '../rules/window';

export interface RealtimeEventNeeds {
  /**
   * The event names the definitions read, sorted; `'all'` when a recency or frequency condition
   * has no `event` (the evaluator still ignores `Segment Entered` / `Segment Exited` there, but a
   * named leaf may read them, so `'all'` means every name).
   */
  names: string[] | 'all';
  /**
   * The earliest timestamp (epoch ms, exclusive) any leaf can look at for this `now`: events at or
   * before it can never count. null = no bound (`ever`, `between` or recency is used). With no
   * event leaf at all it is `now`. Future-dated events always count: load everything after it.
   */
  sinceMs: (now: Date) => number | null;
  /**
   * Message types whose events are read whatever their name (`page` / `screen` conditions without
   * an `event`), sorted. Load events of these types as well as those of `names`.
   */
  anyNameOfTypes: string[];
  /** Load each event's `type`: a condition names a message type. */
  types: boolean;
  /** Load each event's `context`: a context or near filter, or a location condition. */
  context: boolean;
  /** Load every event that carries `context.location`, whatever its name: a location condition. */
  located: boolean;
}

/**
 * Which events of a profile real-time evaluation must load for these definitions.
 * @example realtimeEventNeeds([cartAbandoner]).names // ['Order Completed', 'Product Added']
 */
export function realtimeEventNeeds(definitions: readonly RulesDefinition[]): RealtimeEventNeeds {
  const names = new Set<string>();
  let anyName = false;
  let unbounded = false;
  let longest = 0;
  const anyNameOfTypes = new Set<string>();
  let types = false;
  let context = false;
  let located = false;
  const window = (text: string) => {
    const parsed = parseWindow(text).window;
    if (!parsed) throw new Error(`window "${text}" does not parse`);
    if (parsed.kind === 'last') longest = Math.max(longest, parsed.milliseconds);
    else unbounded = true;
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
        if (node.event !== undefined) names.add(node.event);
        else if (node.messageType !== undefined) anyNameOfTypes.add(node.messageType);
        if (node.messageType !== undefined) types = true;
        if ((node.where ?? []).some((filter) => 'context' in filter || 'near' in filter)) context = true;
        return window(node.window);
      case 'location':
        context = true;
        located = true;
        if (node.window === undefined) unbounded = true;
        else window(node.window);
        return;
      case 'frequency':
      case 'recency':
        if (node.event === undefined) anyName = true;
        else names.add(node.event);
        if (node.type === 'recency') unbounded = true;
        else window(node.window);
        return;
      case 'sequence':
        // Later steps are after the first, which is inside the window.
        node.steps.forEach((step) => names.add(step.event));
        return window(node.window);
      case 'first_time':
        // "Never before" reads the whole history.
        names.add(node.event);
        unbounded = true;
        return;
      case 'stopped':
        names.add(node.event);
        longest = Math.max(longest, durationMs(node.active) + durationMs(node.quiet));
        return;
      case 'regularly':
        names.add(node.event);
        return window(node.window);
      default:
        return assertNever(node, 'condition');
    }
  };
  definitions.forEach((definition) => visit(definition.match));
  return {
    names: anyName ? 'all' : [...names].sort(),
    sinceMs: (now) => (unbounded ? null : now.getTime() - longest),
    anyNameOfTypes: [...anyNameOfTypes].sort(),
    types,
    context,
    located,
  };
}
