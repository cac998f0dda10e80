import { Condition, SegmentDefinition } from './definition.schema';

/**
 * The segments (by key or id, as written) that a definition's `segment` conditions refer to (for an
 * intent × value cell, the segment its intent comes from; other model types refer to none).
 */
export function segmentReferences(definition: SegmentDefinition): string[] {
  if (definition.type === 'intent_value') return definition.intent.source === 'segment' ? [definition.intent.segment] : [];
  if (definition.type !== 'rules') return [];
  const found = new Set<string>();
  const visit = (node: Condition): void => {
    if (node.type === 'segment') found.add(node.segment);
    else if (node.type === 'all' || node.type === 'any') node.conditions.forEach(visit);
    else if (node.type === 'not') visit(node.condition);
  };
  visit(definition.match);
  return [...found];
}

/**
 * Depth-first search with three colours over the reference graph (segment → segments it refers
 * to). Meeting a node that is still on the current path ("grey") means a cycle; the path from that
 * node back to itself is returned, e.g. `['a', 'b', 'a']`. Unknown references are leaves.
 * O(nodes + edges); iterative, so a long chain cannot overflow the stack.
 */
export function findSegmentReferenceCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const colour = new Map<string, 'grey' | 'black'>();
  for (const root of graph.keys()) {
    if (colour.has(root)) continue;
    const path: string[] = [root];
    const pending: number[] = [0];
    colour.set(root, 'grey');
    while (path.length > 0) {
      const node = path[path.length - 1];
      const edges = graph.get(node) ?? [];
      const next = pending[pending.length - 1]++;
      if (next >= edges.length) {
        colour.set(node, 'black');
        path.pop();
        pending.pop();
        continue;
      }
      const target = edges[next];
      if (colour.get(target) === 'grey') return [...path.slice(path.indexOf(target)), target];
      if (colour.has(target)) continue;
      colour.set(target, 'grey');
      path.push(target);
      pending.push(0);
    }
  }
  return undefined;
}
