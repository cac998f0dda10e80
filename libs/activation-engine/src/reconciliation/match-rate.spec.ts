import { matchRate, matchRateDrop } from './match-rate';

describe('matchRate', () => {
  it.each([
    [640, 1000, 0.64],
    [2, 3, 0.6667],
    [1100, 1000, 1.1],
    [0, 10, 0],
  ])('%d matched of %d held → %d', (size, held, rate) => {
    expect(matchRate(size, held)).toBe(rate);
  });

  it('has none without members held or without a size', () => {
    expect(matchRate(10, 0)).toBeUndefined();
    expect(matchRate(undefined, 10)).toBeUndefined();
    expect(matchRate(Number.NaN, 10)).toBeUndefined();
  });
});

describe('matchRateDrop', () => {
  it('flags a drop beyond the threshold below the mean of the previous runs', () => {
    expect(matchRateDrop(0.5, [0.7, 0.68], 0.1)).toEqual({ baseline: 0.69, drop: 0.19 });
  });

  it('does not flag a drop at or under the threshold, a rise, or a first run', () => {
    expect(matchRateDrop(0.6, [0.7], 0.1)).toBeUndefined();
    expect(matchRateDrop(0.65, [0.7], 0.1)).toBeUndefined();
    expect(matchRateDrop(0.9, [0.7], 0.1)).toBeUndefined();
    expect(matchRateDrop(0.1, [], 0.1)).toBeUndefined();
  });
});
