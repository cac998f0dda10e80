/** A UUID in its canonical text form (any version): what Postgres' `uuid` type prints and accepts. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `value` is a UUID in canonical form. Check ids from a URL or a CLI argument with it
 * before they reach SQL: Postgres answers a malformed uuid with an error, not "no row".
 * @example isUuid('9b2c7f0e-3c1a-4d5e-8f00-1a2b3c4d5e6f') // true
 */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
