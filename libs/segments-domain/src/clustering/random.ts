/**
 * Seeded pseudo-random numbers, so every clustering, bootstrap and split is reproducible from a seed.
 *
 * The generator is mulberry32 (libs/util, shared with the tests): tiny, fast, passes the
 * statistical tests that matter for sampling and initialisation, and gives identical streams on
 * every platform. It is not cryptographic, and a 32-bit state is plenty for choosing centres and
 * samples. This file adds what clustering draws from it.
 */
import { mulberry32, Random } from '@audiencekit/util';

export { mulberry32 };
export type { Random };

// Bound once: inside jest's vm sandbox a `Math.x` call per draw is a slow global lookup.
const { floor, sqrt, log, cos, PI } = Math;

/** Draws a fresh 32-bit seed from a generator, to give each restart or replicate its own stream. */
export function nextSeed(random: Random): number {
  return floor(random() * 4294967296);
}

/** A uniform integer in [0, bound). */
export function randomInt(random: Random, bound: number): number {
  return floor(random() * bound);
}

/**
 * `count` distinct indices out of [0, n), in random order (partial Fisher–Yates shuffle).
 * @example sampleWithoutReplacement(mulberry32(1), 10, 3) // e.g. Int32Array [6, 2, 9]
 */
export function sampleWithoutReplacement(random: Random, n: number, count: number): Int32Array {
  if (count > n) throw new RangeError(`cannot sample ${count} distinct indices out of ${n}`);
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(random, n - i);
    const swap = pool[i];
    pool[i] = pool[j];
    pool[j] = swap;
  }
  return pool.slice(0, count);
}

/** `count` indices out of [0, n) drawn with replacement (a bootstrap sample). */
export function sampleWithReplacement(random: Random, n: number, count: number): Int32Array {
  const sample = new Int32Array(count);
  for (let i = 0; i < count; i++) sample[i] = randomInt(random, n);
  return sample;
}

/** Shuffles an index array in place (Fisher–Yates) and returns it. */
export function shuffleInPlace(random: Random, values: Int32Array): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const swap = values[i];
    values[i] = values[j];
    values[j] = swap;
  }
  return values;
}

/** A standard normal draw (Box–Muller; one of the pair is discarded to keep the generator stateless). */
export function standardNormal(random: Random): number {
  let u = random();
  while (u === 0) u = random();
  return sqrt(-2 * log(u)) * cos(2 * PI * random());
}
