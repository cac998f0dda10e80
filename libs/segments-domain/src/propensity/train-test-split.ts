import { PropensityException } from './propensity.exception';
import { stableKeyHash } from './stable-key-hash';

export interface TrainTestSplit {
  /** Row indices, ascending. */
  train: Int32Array;
  test: Int32Array;
}

export interface SplitOptions {
  /** Share of each class held out, rounded, at least one row and at most all but one. Default 0.25. */
  testFraction?: number;
  /** Default 0. */
  seed?: number;
  /**
   * A stable key per row (e.g. the customer's user id): the split depends on these and the seed
   * only, never on row order or random ids. Default: the row index as text (for data whose rows are
   * their identity, like a file's lines).
   */
  keys?: readonly string[];
}

/**
 * Seeded stratified split by stable key: within each class, rows are ranked by
 * `stableKeyHash(seed, key)` (ties by key) and the first `testFraction` of them, rounded and at least
 * one row, go to the test set. Both sets keep the class balance and both classes, and the same keys,
 * classes and seed give the same split whatever the order of the rows.
 * @throws {PropensityException} `invalid_option`; `single_class` when a class has fewer than 2 rows.
 * @example stratifiedSplit(outcome, { testFraction: 0.25, seed: 42, keys: userIds }).test
 */
export function stratifiedSplit(outcome: ArrayLike<number>, options: SplitOptions = {}): TrainTestSplit {
  const testFraction = options.testFraction ?? 0.25;
  if (!(testFraction > 0 && testFraction < 1))
    throw new PropensityException('invalid_option', `must be between 0 and 1, got ${testFraction}`, 'testFraction');
  const keys = options.keys ?? Array.from({ length: outcome.length }, (_, i) => String(i));
  if (keys.length !== outcome.length)
    throw new PropensityException('shape_mismatch', `${keys.length} keys for ${outcome.length} rows`, 'keys');
  const seed = options.seed ?? 0;
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [0, 1]) {
    const members = indicesOf(outcome, label);
    if (members.length < 2) {
      throw new PropensityException(
        'single_class',
        `only ${members.length} profile(s) have outcome ${label}; both sets need one`,
        'outcome',
      );
    }
    const hashes = new Float64Array(outcome.length);
    for (const row of members) hashes[row] = stableKeyHash(seed, keys[row]);
    members.sort((a, b) => hashes[a] - hashes[b] || byteOrder(keys[a], keys[b]) || a - b);
    const testCount = Math.min(members.length - 1, Math.max(1, Math.round(members.length * testFraction)));
    // A loop, not push(...rows): spreading a class of a few hundred thousand rows overflows the stack.
    for (let i = 0; i < members.length; i++) (i < testCount ? test : train).push(members[i]);
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}

/** UTF-16 code-unit order, the same on every machine (never the locale's); only breaks hash ties. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
