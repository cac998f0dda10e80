import { isDeepStrictEqual } from 'node:util';

/**
 * Do two segment definitions say the same thing? Compared as JSON values, key order ignored:
 * a definition read back from jsonb has its keys in Postgres' order (shorter keys first), so
 * comparing JSON text called every re-save of an unchanged definition a change — a new version,
 * and for a model segment a refit. The JSON round trip drops `undefined` members as storage does.
 */
export function sameDefinition(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(asStored(a), asStored(b));
}

function asStored(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
