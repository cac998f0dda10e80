import { thrownBy } from '../../fixtures/ml/assertions';
import { PropensityException } from './propensity.exception';
import { stratifiedSplit, validateSplit } from './train-test-split';

describe('stratifiedSplit', () => {
  const outcome = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 1 : 0));

  it('holds out the test fraction of each class, disjointly, reproducibly', () => {
    const split = stratifiedSplit(outcome, { testFraction: 0.25, seed: 3 });
    expect(split.test).toHaveLength(50);
    expect(split.train).toHaveLength(150);
    expect(Array.from(split.test).filter((row) => outcome[row] === 1)).toHaveLength(10);
    expect(new Set([...split.train, ...split.test]).size).toBe(200);
    expect(Array.from(stratifiedSplit(outcome, { testFraction: 0.25, seed: 3 }).test)).toEqual(Array.from(split.test));
    expect(Array.from(stratifiedSplit(outcome, { testFraction: 0.25, seed: 4 }).test)).not.toEqual(Array.from(split.test));
  });

  it('depends on the stable keys and the seed, never on the order of the rows', () => {
    const keys = outcome.map((_, i) => `user_id:${1000 + i * 7}`);
    const testKeys = (rows: number[]) => {
      const split = stratifiedSplit(
        rows.map((row) => outcome[row]),
        { testFraction: 0.25, seed: 9, keys: rows.map((row) => keys[row]) },
      );
      return Array.from(split.test, (index) => keys[rows[index]]).sort();
    };
    const inOrder = outcome.map((_, i) => i);
    const reversed = [...inOrder].reverse();
    const interleaved = [...inOrder.filter((i) => i % 2 === 1), ...inOrder.filter((i) => i % 2 === 0)];
    expect(testKeys(reversed)).toEqual(testKeys(inOrder));
    expect(testKeys(interleaved)).toEqual(testKeys(inOrder));
    expect(testKeys(inOrder)).toHaveLength(50);
    // Without keys, a row's index is its key: the same rows in another order are another split.
    const unkeyed = stratifiedSplit(outcome, { testFraction: 0.25, seed: 9 });
    expect(Array.from(unkeyed.test)).toEqual(
      Array.from(stratifiedSplit(outcome, { testFraction: 0.25, seed: 9, keys: inOrder.map(String) }).test),
    );
  });

  it('splits 400,000 rows (a class too large to spread into push: it threw RangeError before)', () => {
    const rows = 400_000;
    const outcome = Uint8Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const split = stratifiedSplit(outcome, { testFraction: 0.25, seed: 1 });
    expect(split.test.length).toBe(100_000);
    expect(split.train.length).toBe(300_000);
    expect(split.test.filter((row) => outcome[row] === 1).length).toBe(25_000);
    const seen = new Uint8Array(rows);
    for (const row of [...split.train, ...split.test]) seen[row] += 1;
    expect(seen.every((times) => times === 1)).toBe(true);
  });

  it('refuses a key list of another length', () => {
    expect(thrownBy(PropensityException, () => stratifiedSplit(outcome, { keys: ['a'] }))).toMatchObject({
      code: 'shape_mismatch',
      field: 'keys',
    });
  });

  it('refuses a class too small to appear on both sides, and a bad fraction', () => {
    const thrown = (work: () => unknown) => thrownBy(PropensityException, work);
    expect(thrown(() => stratifiedSplit([0, 0, 0, 1]))).toMatchObject({ code: 'single_class' });
    expect(thrown(() => stratifiedSplit(outcome, { testFraction: 1 }))).toMatchObject({ code: 'invalid_option', field: 'testFraction' });
  });
});

describe('validateSplit', () => {
  const thrown = (work: () => unknown) => thrownBy(PropensityException, work);

  it('refuses overlapping, out-of-range and empty index sets', () => {
    expect(thrown(() => validateSplit({ train: [0, 1], test: [1, 2] }, 3))).toMatchObject({ code: 'invalid_option', field: 'split.test' });
    expect(thrown(() => validateSplit({ train: [0, 5], test: [1] }, 3))).toMatchObject({ code: 'invalid_option', field: 'split.train' });
    expect(thrown(() => validateSplit({ train: [0], test: [] }, 3))).toMatchObject({ code: 'invalid_option', field: 'split.test' });
  });
});
