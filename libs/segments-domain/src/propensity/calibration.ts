import { PropensityException } from './propensity.exception';

export interface ReliabilityBin {
  /** 0 for the lowest scores. */
  bin: number;
  count: number;
  positives: number;
  minScore: number;
  maxScore: number;
  /** Mean predicted probability in the bin. */
  meanPredicted: number;
  /** Share of positives in the bin: what a calibrated model's meanPredicted should be close to. */
  observedRate: number;
}

export interface CalibrationReport {
  bins: ReliabilityBin[];
  /** Mean squared error of the probabilities. */
  brierScore: number;
  /** Σ (count / n) · |meanPredicted − observedRate| over bins. */
  expectedCalibrationError: number;
}

/**
 * Reliability table: rows sorted by score and cut into `bins` groups of equal size (deciles by
 * default; equal scores may straddle a cut), each with its mean prediction and observed rate.
 * @throws {PropensityException} `shape_mismatch`, `invalid_option`, `invalid_outcome`.
 * @example reliabilityTable(testScores, testOutcome).bins[9].observedRate
 */
export function reliabilityTable(scores: ArrayLike<number>, outcome: ArrayLike<number>, bins = 10): CalibrationReport {
  const n = scores.length;
  if (n !== outcome.length) throw new PropensityException('shape_mismatch', `${n} scores for ${outcome.length} outcomes`, 'scores');
  if (!Number.isInteger(bins) || bins < 1) throw new PropensityException('invalid_option', 'must be a positive integer', 'calibrationBins');
  if (n < bins) throw new PropensityException('too_few_rows', `${n} scores cannot fill ${bins} bins`, 'scores');
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const table: ReliabilityBin[] = [];
  let brier = 0;
  let calibrationError = 0;
  for (let bin = 0; bin < bins; bin++) {
    const start = Math.floor((bin * n) / bins);
    const end = Math.floor(((bin + 1) * n) / bins);
    let predicted = 0;
    let positives = 0;
    for (let r = start; r < end; r++) {
      const score = scores[order[r]];
      const observed = outcome[order[r]];
      if (observed !== 0 && observed !== 1)
        throw new PropensityException('invalid_outcome', `outcome ${order[r]} is ${observed}`, 'outcome');
      predicted += score;
      positives += observed;
      brier += (score - observed) ** 2;
    }
    const count = end - start;
    const row = {
      bin,
      count,
      positives,
      minScore: scores[order[start]],
      maxScore: scores[order[end - 1]],
      meanPredicted: predicted / count,
      observedRate: positives / count,
    };
    calibrationError += (count / n) * Math.abs(row.meanPredicted - row.observedRate);
    table.push(row);
  }
  return { bins: table, brierScore: brier / n, expectedCalibrationError: calibrationError };
}
