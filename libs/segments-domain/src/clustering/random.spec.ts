import { mulberry32, sampleWithoutReplacement, sampleWithReplacement, shuffleInPlace } from './random';

describe('mulberry32', () => {
  it('produces the reference stream for seed 42', () => {
    const random = mulberry32(42);
    // Reference values of the published mulberry32 algorithm.
    expect([random(), random(), random()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('is reproducible and seed-dependent', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
  });

  it('refuses a non-integer seed', () => {
    expect(() => mulberry32(1.5)).toThrow(RangeError);
  });
});

describe('sampling', () => {
  it('draws distinct indices without replacement', () => {
    const sample = sampleWithoutReplacement(mulberry32(1), 100, 60);
    expect(new Set(sample).size).toBe(60);
    expect(Math.max(...sample)).toBeLessThan(100);
    expect(() => sampleWithoutReplacement(mulberry32(1), 3, 4)).toThrow(RangeError);
  });

  it('draws a bootstrap sample with repeats', () => {
    const sample = sampleWithReplacement(mulberry32(1), 100, 100);
    expect(sample).toHaveLength(100);
    expect(new Set(sample).size).toBeLessThan(100);
  });

  it('shuffles a permutation', () => {
    const values = shuffleInPlace(
      mulberry32(3),
      Int32Array.from({ length: 20 }, (_, i) => i),
    );
    expect(Array.from(values).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(values)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
