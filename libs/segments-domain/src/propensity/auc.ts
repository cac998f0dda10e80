import { countPositives } from './binary-outcome';
import { PropensityException } from './propensity.exception';

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the probability that a random positive
 * scores above a random negative, ties counting one half (average ranks). Equal to scikit-learn's
 * `roc_auc_score` (trapezoidal ROC) including ties.
 * @throws {PropensityException} `single_class` when one class is absent, `invalid_outcome`, `shape_mismatch`, `non_finite`.
 * @example rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) // 0.75
 */
export function rocAuc(scores: ArrayLike<number>, outcome: ArrayLike<number>): number {
  if (scores.length !== outcome.length)
    throw new PropensityException('shape_mismatch', `${scores.length} scores for ${outcome.length} outcomes`, 'scores');
  const positives = countPositives(outcome);
  const negatives = outcome.length - positives;
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new PropensityException('non_finite', `score ${i} is ${scores[i]}`, 'scores');
  }
  order.sort((a, b) => scores[a] - scores[b]);
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    // Ranks start..end−1 (0-based) are tied: each gets the average 1-based rank.
    const averageRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if (outcome[order[i]] === 1) positiveRankSum += averageRank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
