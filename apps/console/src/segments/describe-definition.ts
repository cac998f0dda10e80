import type { Definition } from '../types';

type Node = { type: string; [field: string]: unknown };

const OPERATOR_WORDS: Record<string, string> = {
  equals: 'is',
  not_equals: 'is not',
  in: 'is one of',
  not_in: 'is none of',
  contains: 'contains',
  starts_with: 'starts with',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  between: 'between',
  exists: 'is set',
  not_exists: 'is not set',
  at_least: 'at least',
  at_most: 'at most',
  exactly: 'exactly',
};

const words = (operator: unknown): string => OPERATOR_WORDS[String(operator)] ?? String(operator);
const show = (value: unknown): string =>
  Array.isArray(value) ? value.map(show).join(' and ') : typeof value === 'string' ? `“${value}”` : String(value);

function describeCount(node: Node): string {
  const count = node.count as { operator: string; value: number } | undefined;
  if (!count) return 'did';
  if (count.operator === 'exactly' && count.value === 0) return 'did not do';
  return `did ${words(count.operator)} ${count.value}×`;
}

const valueTest = (operator: unknown, value: unknown): string => `${words(operator)}${value === undefined ? '' : ` ${show(value)}`}`;

interface Near {
  latitude: number;
  longitude: number;
  km: number;
}
const describeNear = (near: Near): string => `within ${near.km} km of ${near.latitude}, ${near.longitude}`;

/** One `where` filter: "amount > 10", "context page.path starts with “/pricing”", "within 50 km of 48.1, 11.5". */
function describeFilter(filter: Node): string {
  if (filter.near) return describeNear(filter.near as Near);
  if (filter.context !== undefined) return `context ${filter.context} ${valueTest(filter.operator, filter.value)}`;
  return `${filter.property} ${valueTest(filter.operator, filter.value)}`;
}
const describeWhere = (where: unknown): string =>
  Array.isArray(where) && where.length ? ` where ${(where as Node[]).map(describeFilter).join(', ')}` : '';

/** "“Order Completed”", "any page", "page “Pricing”". */
function eventName(node: Node): string {
  if (node.event === undefined) return `any ${String(node.messageType)}`;
  return node.messageType ? `${String(node.messageType)} “${node.event}”` : `“${node.event}”`;
}
const inWindow = (window: unknown): string => (window === 'ever' ? 'ever' : `in the ${window}`);

function describeLocation(node: Node): string {
  const parts: string[] = [];
  const lists: [string, string][] = [
    ['country', 'country'],
    ['region', 'region'],
    ['city', 'city'],
  ];
  for (const [field, label] of lists)
    if (Array.isArray(node[field]))
      parts.push(`${label} ${(node[field] as string[]).length > 1 ? 'is one of' : 'is'} ${show(node[field])}`);
  if (Array.isArray(node.postalCode)) parts.push(`postal code starts with ${(node.postalCode as string[]).map(show).join(' or ')}`);
  if (node.near) parts.push(describeNear(node.near as Near));
  return `last known location: ${parts.join(', ')}${node.window ? ` (seen ${inWindow(node.window)})` : ''}`;
}

function describeLifecycle(node: Node): string | undefined {
  switch (node.type) {
    case 'sequence': {
      const steps = (node.steps as Node[]).map((step) => `“${step.event}”${describeWhere(step.where)}`);
      return `did ${steps.join(', then ')}, all within ${node.within}, ${inWindow(node.window)}`;
    }
    case 'first_time':
      return `did “${node.event}”${describeWhere(node.where)} for the first time ${inWindow(node.window)}`;
    case 'stopped':
      return `stopped doing “${node.event}”${describeWhere(node.where)}: did it in the ${node.active} before the last ${node.quiet}, not since`;
    case 'regularly':
      return `did “${node.event}”${describeWhere(node.where)} on at least ${node.atLeast} distinct ${node.per}s ${inWindow(node.window)}`;
    default:
      return undefined;
  }
}

function describeLeaf(node: Node): string {
  const lifecycle = describeLifecycle(node);
  if (lifecycle) return lifecycle;
  switch (node.type) {
    case 'trait':
      return `trait ${node.trait} ${valueTest(node.operator, node.value)}`;
    case 'computed_trait':
      return `computed trait ${node.key} ${valueTest(node.operator, node.value)}`;
    case 'location':
      return describeLocation(node);
    case 'event': {
      const where = describeWhere(node.where);
      const aggregate = node.aggregate as { function: string; property: string; operator: string; value: unknown } | undefined;
      const head = aggregate
        ? `${aggregate.function} of ${aggregate.property} over ${eventName(node)} ${words(aggregate.operator)} ${show(aggregate.value)}`
        : `${describeCount(node)} ${eventName(node)}`;
      return `${head}${where} in the ${node.window}`;
    }
    case 'recency':
      return `days since last ${node.event ? `“${node.event}”` : 'event'} ${words(node.operator)} ${show(node.days)}`;
    case 'frequency':
      return `${node.event ? `“${node.event}”` : 'events'} ${words(node.operator)} ${node.value}× in the ${node.window}`;
    case 'segment':
      return `member of segment ${node.segment}`;
    default:
      return JSON.stringify(node);
  }
}

export interface Line {
  depth: number;
  text: string;
}

/** A rules tree as indented lines a marketer can read: "all of:", "did “Product Added” in the last 7 days"… */
export function describeRules(node: Node, depth = 0, lines: Line[] = []): Line[] {
  if (node.type === 'all' || node.type === 'any') {
    lines.push({ depth, text: node.type === 'all' ? 'all of:' : 'any of:' });
    for (const child of node.conditions as Node[]) describeRules(child, depth + 1, lines);
  } else if (node.type === 'not') {
    lines.push({ depth, text: 'not:' });
    describeRules(node.condition as Node, depth + 1, lines);
  } else {
    lines.push({ depth, text: describeLeaf(node) });
  }
  return lines;
}

/** Rules as a tree; other types as their key fields (the model's charts say the rest). */
export function describeDefinition(definition: Definition): Line[] {
  if (definition.type === 'rules') return describeRules(definition.match as Node);
  const fields = Object.entries(definition).filter(([key]) => key !== 'type');
  return [
    { depth: 0, text: `${definition.type} segment` },
    ...fields.map(([key, value]) => ({ depth: 1, text: `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}` })),
  ];
}
