import { AllowedHosts, literalTargetProblem } from './ssrf-guard';

/** A JSON Schema node as `z.toJSONSchema` writes it (only the keys the walk reads). */
interface SchemaNode {
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
}

/** Field names that name a host outbound traffic could go to, whatever their declared format. */
const HOST_LIKE_NAME = /url|uri|host|endpoint|domain|origin/i;

/**
 * Dotted paths of the settings fields that can name a host: strings with `format: uri`/`url`, or
 * whose name says url / host / endpoint / domain / origin. Arrays are `path[]`.
 * @example hostSettingPaths(z.toJSONSchema(z.object({ url: z.url(), name: z.string() }))) // ['url']
 */
export function hostSettingPaths(schema: unknown, path = ''): string[] {
  const node = (schema ?? {}) as SchemaNode;
  const found: string[] = [];
  const name = path.split('.').pop() ?? '';
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (path && types.includes('string') && (node.format === 'uri' || node.format === 'url' || HOST_LIKE_NAME.test(name))) found.push(path);
  for (const [key, child] of Object.entries(node.properties ?? {})) found.push(...hostSettingPaths(child, path ? `${path}.${key}` : key));
  if (node.items) found.push(...hostSettingPaths(node.items, `${path}[]`));
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) found.push(...hostSettingPaths(branch, path));
  return [...new Set(found)];
}

/** The values at a dotted path (`a.b`, `list[].url`) of a settings object; strings only. */
export function stringsAt(settings: unknown, path: string): string[] {
  let current: unknown[] = [settings];
  for (const part of path.split('.')) {
    const isArray = part.endsWith('[]');
    const key = isArray ? part.slice(0, -2) : part;
    current = current.flatMap((value) => {
      const next = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return isArray ? (Array.isArray(next) ? next : []) : [next];
    });
  }
  return current.filter((value): value is string => typeof value === 'string');
}

/**
 * Save-time decision for every host-like field of some settings (no DNS query: host names are
 * checked when a connection is made). One problem per refused field, named by its path.
 */
export function refusedHostSettings(schema: unknown, settings: unknown, allowedHosts: AllowedHosts): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const path of hostSettingPaths(schema)) {
    for (const value of stringsAt(settings, path)) {
      const url = parseUrlish(value);
      const problem = url ? literalTargetProblem(url, allowedHosts) : undefined;
      if (problem) problems.push({ path, message: problem });
    }
  }
  return problems;
}

/**
 * The host-like fields whose value differs between two versions of some settings: changing one
 * points the destination (and its sealed secrets) somewhere else.
 */
export function changedHostSettings(schema: unknown, before: unknown, after: unknown): string[] {
  return hostSettingPaths(schema).filter((path) => JSON.stringify(stringsAt(before, path)) !== JSON.stringify(stringsAt(after, path)));
}

/** A URL, or a bare host (`10.0.0.1`, `db.internal:5432`) read as one; undefined when neither. */
function parseUrlish(value: string): URL | undefined {
  for (const candidate of [value, `http://${value}`]) {
    try {
      return new URL(candidate);
    } catch {
      // not this form
    }
  }
  return undefined;
}

/**
 * A URL with its credentials and query hidden, for readers who may see where a destination points
 * but not the tokens in it: `https://***:***@hooks.example/path?***`. Other strings come back as is.
 */
export function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  const userinfo = url.username || url.password ? `***${url.password ? ':***' : ''}@` : '';
  const query = url.search ? '?***' : '';
  const fragment = url.hash ? '#***' : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}${fragment}`;
}

/** Every URL-valued string anywhere in some settings, redacted with `redactUrl`. */
export function redactUrlsDeep<T>(value: T): T {
  if (typeof value === 'string') return redactUrl(value) as T;
  if (Array.isArray(value)) return value.map(redactUrlsDeep) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, redactUrlsDeep(child)])) as T;
  }
  return value;
}
