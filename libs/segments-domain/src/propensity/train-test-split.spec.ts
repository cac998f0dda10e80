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
