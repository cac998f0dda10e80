/**
 * Seeded pseudo-random generators for tests, so a failing case repeats from its seed. Two
 * generators, because tests pin numbers drawn from each: keep the one a test was written with.
 */

/**
 * mulberry32: uniform floats in [0, 1) from a 32-bit seed — the clustering library's generator,
 * re-exported from libs/util so tests and production draw the same streams from one implementation.
 *
 * @example const random = mulberry32(42); random(); // 0.6011037519201636
 */
export { mulberry32 } from '@audiencekit/util';

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
