/**
 * Seeded pseudo-random generators for tests, so a failing case repeats from its seed. Two
 * generators, because tests pin numbers drawn from each: keep the one a test was written with.
 */

// Bound once: inside jest's sandbox a `Math.imul` lookup per draw is a slow global lookup.
const { imul } = Math;

/**
 * mulberry32: uniform floats in [0, 1) from a 32-bit seed. The same stream as
 * `mulberry32` of libs/segmentation (clustering), written without a dependency on it.
 *
 * @example const random = mulberry32(42); random(); // 0.6011037519201636
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The linear congruential generator of the C standard's example `rand()` (multiplier 1103515245,
 * increment 12345, modulus 2^31), computed in doubles exactly as the tests that use it always did:
 * floats in [0, 1). Weaker than {@link mulberry32}; kept because tests pin its sequences.
 *
 * @example const random = lcgAnsiC(1); random(); // 0.5138700781390071
 */
export function lcgAnsiC(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}
