/** A definition's optional methods, checked present once, so a test calls them without `!`. */
export function requiredMethods<T extends object, K extends keyof T>(definition: T, ...keys: K[]): T & { [P in K]-?: NonNullable<T[P]> } {
  for (const key of keys) if (typeof definition[key] !== 'function') throw new Error(`${String(key)} is not implemented`);
  return definition as T & { [P in K]-?: NonNullable<T[P]> };
}
