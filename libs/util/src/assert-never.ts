/**
 * Closes an exhaustive `switch`: the compiler refuses the call when a case is missing, and at run
 * time a value from outside the type (bad data that slipped past validation) throws.
 * @throws Error naming the unexpected value
 * @example switch (shape.kind) { case 'a': …; case 'b': …; default: return assertNever(shape); }
 */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
