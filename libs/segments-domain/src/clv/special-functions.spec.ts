import { digamma, hyp2f1, logGamma } from './special-functions';

// Reference values from scipy.special (gammaln, digamma, hyp2f1) and mpmath at 30 digits.
const REFERENCE = {
  logGamma: [
    [0.056, 2.8525909526251034],
    [0.5, 0.5723649429247001],
    [0.78, 0.17182575588891416],
    [1, 0.0],
    [1.5, -0.12078223763524522],
    [2, 0.0],
    [7.3, 7.147892523022248],
    [79.4, 266.66790932102765],
    [220.7, 968.595625899858],
    [10000.0, 82099.71749644238],
  ] as [number, number][],
  digamma: [
    [0.056, -18.345831458307014],
    [0.5, -1.9635100260214235],
    [0.78, -1.0119050777363985],
    [1, -0.5772156649015329],
    [3.3, 1.0348224890596216],
    [9.99, 2.250700372831201],
    [10, 2.251752589066721],
    [79.4, 4.368187920878322],
    [220.7, 5.394537083603914],
    [10000.0, 9.210290371142849],
  ] as [number, number][],
  hyp2f1: [
    [1, 1, 2, 0.5, 1.3862943611198906],
    [0.78, 79.4, 80.1, 0.2, 1.1880986996775895],
    [78.7, -0.944, 80.5, 0.52, 0.5115651890801273],
    [220.6, -0.944, 221.5, 0.82, 0.20160088222883474],
    [1.8, -0.944, 80.5, 0.05, 0.9989445454691024],
    [142.78, 220.4, 220.5, 0.5, 9.107277602552151e42],
  ] as [number, number, number, number, number][],
};

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('special functions against scipy / mpmath', () => {
  it.each(REFERENCE.logGamma)('logGamma(%p) = %p', (x, expected) => {
    expect(Math.abs(logGamma(x) - expected)).toBeLessThanOrEqual(2e-15 * Math.max(1, Math.abs(expected)));
  });

  it.each(REFERENCE.digamma)('digamma(%p) = %p', (x, expected) => {
    expect(Math.abs(digamma(x) - expected)).toBeLessThanOrEqual(2e-15 * Math.max(1, Math.abs(expected)));
  });

  it.each(REFERENCE.hyp2f1)('hyp2f1(%p, %p, %p, %p) = %p', (a, b, c, z, expected) => {
    expect(relative(hyp2f1(a, b, c, z), expected)).toBeLessThan(1e-13);
  });

  it('refuses arguments outside the domain instead of returning NaN', () => {
    expect(() => logGamma(0)).toThrow(RangeError);
    expect(() => digamma(-1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 0.999999, 10)).toThrow(/did not converge/);
  });
});
