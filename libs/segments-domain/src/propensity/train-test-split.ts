import { mulberry32, shuffleInPlace } from '../clustering/random';
import { PropensityException } from './propensity.exception';

export interface TrainTestSplit {
  /** Row indices, ascending. */
  train: Int32Array;
  test: Int32Array;
}

/**
 * Seeded stratified split: each class is shuffled (mulberry32) and `testFraction` of it, rounded and
 * at least one row, goes to the test set, so both sets keep the class balance and both classes.
 * @throws {PropensityException} `invalid_option`; `single_class` when a class has fewer than 2 rows.
 * @example stratifiedSplit(outcome, { testFraction: 0.25, seed: 42 }).test
 */
export function stratifiedSplit(outcome: ArrayLike<number>, options: { testFraction?: number; seed?: number } = {}): TrainTestSplit {
  const testFraction = options.testFraction ?? 0.25;
  if (!(testFraction > 0 && testFraction < 1))
    throw new PropensityException('invalid_option', `must be between 0 and 1, got ${testFraction}`, 'testFraction');
  const random = mulberry32(options.seed ?? 0);
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [0, 1]) {
    const members = Int32Array.from(indicesOf(outcome, label));
    if (members.length < 2) {
      throw new PropensityException(
        'single_class',
        `only ${members.length} profile(s) have outcome ${label}; both sets need one`,
        'outcome',
      );
    }
    shuffleInPlace(random, members);
    const testCount = Math.min(members.length - 1, Math.max(1, Math.round(members.length * testFraction)));
    test.push(...members.subarray(0, testCount));
    train.push(...members.subarray(testCount));
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}

/**
 * Checks a split given by the caller (e.g. a fixed one for comparison with another tool).
 * @throws {PropensityException} `invalid_option` for out-of-range, repeated or overlapping indices.
 */
export function validateSplit(split: { train: ArrayLike<number>; test: ArrayLike<number> }, rows: number): TrainTestSplit {
  const seen = new Uint8Array(rows);
  const check = (indices: ArrayLike<number>, name: 'train' | 'test') => {
    if (indices.length === 0) throw new PropensityException('invalid_option', 'is empty', `split.${name}`);
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i];
      if (!Number.isInteger(index) || index < 0 || index >= rows)
        throw new PropensityException('invalid_option', `index ${index} is not a row`, `split.${name}`);
      if (seen[index]) throw new PropensityException('invalid_option', `row ${index} appears twice`, `split.${name}`);
      seen[index] = 1;
    }
    return Int32Array.from(indices);
  };
  return { train: check(split.train, 'train'), test: check(split.test, 'test') };
}

function indicesOf(outcome: ArrayLike<number>, label: number): number[] {
  const indices: number[] = [];
  for (let i = 0; i < outcome.length; i++) if (outcome[i] === label) indices.push(i);
  return indices;
}
