import { ExperimentationException } from '../experimentation.exception';
import { assertCount, assertOpenUnitInterval } from '../validation';
import { chiSquareSf } from './distributions';

/** Default p-value below which a split is flagged as broken (the industry convention, e.g. Kohavi et al.). */
export const DEFAULT_SRM_THRESHOLD = 0.001;

export interface SampleRatioMismatch {
  /** Members expected in each arm under the configured split (total × share). */
  expected: number[];
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  threshold: number;
  /** True when pValue < threshold: the split is broken and the lift must not be read. */
  mismatch: boolean;
}

/**
 * Sample-ratio mismatch: Pearson's chi-square goodness of fit of the observed arm sizes against
 * the configured shares (scipy `chisquare(observed, total · shares)`), flagged when p < threshold.
 * See Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments", KDD 2019.
 *
 * @returns null when there are no members at all.
 * @throws ExperimentationException `invalid_share` unless every share is in (0, 1) and they sum to 1.
 * @example sampleRatioMismatch([1_000, 9_300], [0.1, 0.9]) // p ≈ 0.35, mismatch false
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  shares: readonly number[],
  threshold = DEFAULT_SRM_THRESHOLD,
): SampleRatioMismatch | null {
  if (observed.length < 2 || observed.length !== shares.length) {
    throw new ExperimentationException(
      'inconsistent_input',
      'shares',
      `need one share per arm and at least two arms (got ${observed.length} arms, ${shares.length} shares)`,
    );
  }
  observed.forEach((count, i) => assertCount(count, `observed[${i}]`));
  shares.forEach((share, i) => assertOpenUnitInterval(share, `shares[${i}]`, 'invalid_share'));
  const shareTotal = shares.reduce((sum, share) => sum + share, 0);
  if (Math.abs(shareTotal - 1) > 1e-9) throw new ExperimentationException('invalid_share', 'shares', `must sum to 1, got ${shareTotal}`);
  assertOpenUnitInterval(threshold, 'srmThreshold');
  const total = observed.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const expected = shares.map((share) => total * share);
  const statistic = pearsonStatistic(observed, expected);
  const degreesOfFreedom = observed.length - 1;
  const pValue = chiSquareSf(statistic, degreesOfFreedom);
  return { expected, statistic, degreesOfFreedom, pValue, threshold, mismatch: pValue < threshold };
}

/** Pearson's Σ (observed − expected)² / expected. */
export function pearsonStatistic(observed: readonly number[], expected: readonly number[]): number {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) statistic += (observed[i] - expected[i]) ** 2 / expected[i];
  return statistic;
}

/**
 * Pearson's chi-square test of independence for an r × c contingency table, without Yates'
 * correction (scipy `chi2_contingency(table, correction=False)`). Used to check that two salts
 * (e.g. the global holdout and an activation) split the same profiles independently.
 *
 * @throws ExperimentationException when a row or column sums to 0 (no expected count).
 */
export function contingencyChiSquare(table: readonly (readonly number[])[]): {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
} {
  const rows = table.length;
  const columns = table[0]?.length ?? 0;
  if (rows < 2 || columns < 2 || table.some((row) => row.length !== columns)) {
    throw new ExperimentationException('inconsistent_input', 'table', 'must be a rectangular table with at least 2 rows and 2 columns');
  }
  table.forEach((row, i) => row.forEach((count, j) => assertCount(count, `table[${i}][${j}]`)));
  const rowTotals = table.map((row) => row.reduce((sum, count) => sum + count, 0));
  const columnTotals = Array.from({ length: columns }, (_, j) => table.reduce((sum, row) => sum + row[j], 0));
  const total = rowTotals.reduce((sum, count) => sum + count, 0);
  if (rowTotals.includes(0) || columnTotals.includes(0)) {
    throw new ExperimentationException('inconsistent_input', 'table', 'every row and column needs at least one count');
  }
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      const expected = (rowTotals[i] * columnTotals[j]) / total;
      statistic += (table[i][j] - expected) ** 2 / expected;
    }
  }
  const degreesOfFreedom = (rows - 1) * (columns - 1);
  return { statistic, degreesOfFreedom, pValue: chiSquareSf(statistic, degreesOfFreedom) };
}
