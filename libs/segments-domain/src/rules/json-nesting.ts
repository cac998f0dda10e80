/** Deepest nesting of JSON objects and arrays a definition may have (20 condition levels of `all` groups take 41). */
export const MAX_JSON_NESTING = 64;

interface PathLink {
  key: string;
  parent: PathLink | undefined;
}

/**
 * The first place where `raw` nests objects and arrays deeper than `maxDepth`, with the reason, or
 * undefined. Iterative (an explicit stack), so a document nested 100,000 deep is measured without
 * the recursion that overflows the call stack of a recursive schema or of `JSON.stringify`.
 *
 * @example jsonNestingProblem({ a: [[1]] }, 2) // → { path: 'a.0', message: 'is nested more than 2 levels deep …' }
 */
export function jsonNestingProblem(raw: unknown, maxDepth: number = MAX_JSON_NESTING): { path: string; message: string } | undefined {
  const stack: { value: unknown; depth: number; at: PathLink | undefined }[] = [{ value: raw, depth: 0, at: undefined }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, depth, at } = next;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) {
      return {
        path: pathOf(at),
        message: `is nested more than ${maxDepth} levels deep (JSON objects and arrays); at most ${maxDepth} are allowed`,
      };
    }
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, depth: depth + 1, at: { key, parent: at } });
  }
  return undefined;
}

function pathOf(link: PathLink | undefined): string {
  const keys: string[] = [];
  for (let at = link; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}
