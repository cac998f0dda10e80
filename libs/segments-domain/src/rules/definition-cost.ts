import { Condition, EventCondition, parseSegmentDefinition, SegmentDefinition, SegmentDefinitionException } from './definition.schema';
import { parseWindow } from './window';

/**
 * What a rules definition may cost Postgres, in units: the number of conditions alone let through
 * 120 aggregate conditions (each a grouped pass over the events of its name) that held twelve
 * connections for minutes. The weights follow what each leaf compiles to (compile-sql.ts).
 */
export const DEFINITION_COST = {
  budget: 800,
  /** A group (`all` / `any` / `not`). */
  group: 1,
  trait: 1,
  /** A join on the current memberships of another segment. */
  segment: 2,
  /** A pass over the events of one name: `event` with a count, `frequency`. */
  eventCount: 4,
  /** A grouped pass with an aggregate of a JSON property: `event` with `aggregate`. */
  eventAggregate: 8,
  /** The latest event of each profile, over all time. */
  recency: 6,
  /** A sequence: a scan of its first step plus one correlated index probe per later step (× steps). */
  sequenceStep: 4,
  /** first_time and stopped: a scan in the window with a NOT EXISTS probe for the earlier or quiet events. */
  lifecycleProbe: 6,
  /** regularly: a grouped pass counting distinct days or weeks. */
  regularly: 8,
  /** Each `where` property filter of an event condition (a `context` filter costs the same). */
  propertyFilter: 1,
  /** A `near` filter: reads both coordinates and computes a haversine term per event. */
  nearFilter: 2,
  /** The last known location: a pass over located events sorted per profile (DISTINCT ON). */
  location: 8,
  /** Windows over more than a year (or `ever`) read more rows: the leaf costs this much more. */
  longWindowFactor: 1.5,
  longWindowDays: 365,
} as const;

const DAY_MS = 86_400_000;

/**
 * The cost of a condition tree in units (see DEFINITION_COST). Iterative, so it is safe on any
 * tree the schema accepted.
 *
 * @example definitionCost({ type: 'all', conditions: [{ type: 'trait', trait: 'plan', operator: 'exists' }] }) // → 2
 */
export function definitionCost(root: Condition): number {
  let total = 0;
  const pending: Condition[] = [root];
  for (let node = pending.pop(); node; node = pending.pop()) {
    switch (node.type) {
      case 'all':
      case 'any':
        total += DEFINITION_COST.group;
        pending.push(...node.conditions);
        break;
      case 'not':
        total += DEFINITION_COST.group;
        pending.push(node.condition);
        break;
      case 'trait':
        total += DEFINITION_COST.trait;
        break;
      case 'segment':
      case 'computed_trait':
        total += DEFINITION_COST.segment;
        break;
      case 'recency':
        total += DEFINITION_COST.recency;
        break;
      case 'location':
        total += windowed(DEFINITION_COST.location, node.window ?? 'ever');
        break;
      case 'frequency':
        total += windowed(DEFINITION_COST.eventCount, node.window);
        break;
      case 'event':
        total += windowed(eventBase(node), node.window);
        break;
      case 'sequence':
        total += windowed(
          node.steps.reduce((cost, step) => cost + DEFINITION_COST.sequenceStep + filters(step.where), 0),
          node.window,
        );
        break;
      case 'first_time':
        // Reads the history before the window too.
        total += Math.ceil((DEFINITION_COST.lifecycleProbe + filters(node.where)) * DEFINITION_COST.longWindowFactor);
        break;
      case 'stopped':
        total += DEFINITION_COST.lifecycleProbe + filters(node.where);
        break;
      case 'regularly':
        total += windowed(DEFINITION_COST.regularly + filters(node.where), node.window);
        break;
    }
  }
  return total;
}

/**
 * `parseSegmentDefinition` plus the cost budget: for a definition being saved or previewed. Stored
 * definitions are read with `parseSegmentDefinition` alone, so a lower budget never makes a saved
 * segment unreadable (its refreshes go on; a change of it must fit the budget).
 *
 * @throws SegmentDefinitionException with the path `match` when the definition is over budget.
 */
export function parseNewSegmentDefinition(raw: unknown): SegmentDefinition {
  const definition = parseSegmentDefinition(raw);
  if (definition.type !== 'rules') return definition;
  const cost = definitionCost(definition.match);
  if (cost > DEFINITION_COST.budget) throw new SegmentDefinitionException([{ path: 'match', message: overBudgetMessage(cost) }]);
  return definition;
}

/** The message of a refusal: the cost, the budget and the weights, so the marketer can see what to cut. */
export function overBudgetMessage(cost: number): string {
  const c = DEFINITION_COST;
  return (
    `costs ${cost} units; at most ${c.budget} are allowed (aggregate event conditions cost ${c.eventAggregate}, event and frequency ${c.eventCount}, ` +
    `recency ${c.recency}, location ${c.location}, sequence ${c.sequenceStep} per step, first_time and stopped ${c.lifecycleProbe}, regularly ${c.regularly}, ` +
    `segment ${c.segment}, trait ${c.trait}, +${c.propertyFilter} per property or context filter, +${c.nearFilter} per near filter and ${c.group} per group; ` +
    `× ${c.longWindowFactor} for windows over ${c.longWindowDays} days or ever)`
  );
}

function filters(where: readonly unknown[] | undefined): number {
  return DEFINITION_COST.propertyFilter * (where?.length ?? 0);
}

function eventBase(node: EventCondition): number {
  const base = node.aggregate ? DEFINITION_COST.eventAggregate : DEFINITION_COST.eventCount;
  const near = (node.where ?? []).filter((filter) => 'near' in filter).length;
  return base + DEFINITION_COST.propertyFilter * ((node.where?.length ?? 0) - near) + DEFINITION_COST.nearFilter * near;
}

function windowed(cost: number, window: string): number {
  return isLongWindow(window) ? Math.ceil(cost * DEFINITION_COST.longWindowFactor) : cost;
}

function isLongWindow(text: string): boolean {
  const { window } = parseWindow(text);
  const limit = DEFINITION_COST.longWindowDays * DAY_MS;
  switch (window?.kind) {
    case 'ever':
      return true;
    case 'last':
      return window.milliseconds > limit;
    case 'between':
      return window.to - window.from > limit;
    default:
      return false;
  }
}
