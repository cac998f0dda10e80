import { PropensityException } from './propensity.exception';

/** Checks a 0/1 outcome with both classes present and returns the number of positives. */
export function countPositives(outcome: ArrayLike<number>, field = 'outcome'): number {
  let positives = 0;
  for (let i = 0; i < outcome.length; i++) {
    const value = outcome[i];
    if (value !== 0 && value !== 1) throw new PropensityException('invalid_outcome', `value ${i} is ${value}; expected 0 or 1`, field);
    positives += value;
  }
  if (positives === 0 || positives === outcome.length) {
    const only = outcome.length === 0 ? 'there are no outcomes' : `every outcome is ${outcome[0]}`;
    throw new PropensityException('single_class', `${only}; both 0 and 1 are needed`, field);
  }
  return positives;
}
