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

function describeLeaf(node: Node): string {
  switch (node.type) {
    case 'trait':
      return `trait ${node.trait} ${words(node.operator)}${node.value === undefined ? '' : ` ${show(node.value)}`}`;
    case 'event': {
      const where =
        Array.isArray(node.where) && node.where.length
          ? ` where ${(node.where as Node[]).map((filter) => `${filter.property} ${words(filter.operator)} ${show(filter.value)}`).join(', ')}`
          : '';
      const aggregate = node.aggregate as { function: string; property: string; operator: string; value: unknown } | undefined;
      const head = aggregate
        ? `${aggregate.function} of ${aggregate.property} over “${node.event}” ${words(aggregate.operator)} ${show(aggregate.value)}`
        : `${describeCount(node)} “${node.event}”`;
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
