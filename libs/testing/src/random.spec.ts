import { lcgAnsiC, mulberry32 } from './random';

/** The formulation the experimentation fixtures and the lift e2e test carried (signed state), kept here as the reference. */
function signedStateMulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const draws = (random: () => number, count: number) => Array.from({ length: count }, () => random());

describe('mulberry32', () => {
  it('gives the published first draw for seed 42', () => {
    expect(mulberry32(42)()).toBe(0.6011037519201636);
  });

  it.each([0, 1, 7, 424242, 20240905, 20261201, 2 ** 31 + 5])('is the same stream as the copies it replaced, seed %i', (seed) => {
    const ours = draws(mulberry32(seed), 2_000);
    expect(ours).toEqual(draws(signedStateMulberry32(seed), 2_000));
    expect(ours.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('lcgAnsiC', () => {
  it('gives the sequence the stitching, quick-parse and pii-mask tests were written with', () => {
    expect(draws(lcgAnsiC(1), 3)).toEqual([0.5138700781390071, 0.1757413148880005, 0.15525975823402405]);
    const random = lcgAnsiC(12345);
    let state = 12345;
    for (let i = 0; i < 1_000; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      expect(random()).toBe(state / 2 ** 31);
    }
  });
});
