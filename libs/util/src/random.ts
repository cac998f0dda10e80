/**
 * mulberry32 (Tommy Ettinger's 32-bit state mixer): seeded uniform floats, the same stream on
 * every platform (32-bit integer arithmetic only). Not cryptographic. Used for reproducible
 * clustering, bootstraps and splits, and by tests (so a failing case repeats from its seed).
 */

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

// Bound once: inside jest's vm sandbox a `Math.imul` call per draw is a slow global lookup.
const { imul } = Math;

/**
 * Returns a generator of uniform floats in [0, 1) for a 32-bit integer seed.
 * @throws {RangeError} when the seed is not a safe integer.
 * @example const random = mulberry32(42); random(); // 0.6011037519201636
 */
export function mulberry32(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
