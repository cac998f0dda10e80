// The few functions of `semver` (npm's own range checker; in node_modules through the toolchain,
// ships no types of its own and @types/semver is not installed) the package loader uses.
declare module 'semver' {
  export function valid(version: string): string | null;
  export function validRange(range: string): string | null;
  export function satisfies(version: string, range: string): boolean;
}
