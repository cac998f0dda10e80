import fixtures from '../../fixtures/stats.json';
import { expectClose } from '../../fixtures/assertions';
import { chiSquareSf, studentTPdf, studentTSf, studentTTwoSidedPValue, studentTUpperQuantile } from './distributions';
import { normalCdf, normalQuantile, normalSf } from './normal';

const { normal, normalQuantile: quantiles, studentT, studentTQuantile, chiSquare } = fixtures.distributions;

describe('normal distribution (scipy.stats.norm)', () => {
  it.each(normal)('Φ($x) and 1 − Φ($x)', ({ x, cdf, sf }) => {
    expectClose(normalCdf(x), cdf, `cdf(${x})`);
    expectClose(normalSf(x), sf, `sf(${x})`);
  });

  it.each(quantiles)('Φ⁻¹($p)', ({ p, quantile }) => {
    expectClose(normalQuantile(p), quantile, `quantile(${p})`);
  });

  it('maps the ends of [0, 1] to ±∞ and rejects probabilities outside it with NaN', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});

describe('Student t distribution (scipy.stats.t; density from mpmath)', () => {
  it.each(studentT)('t = $t with $df degrees of freedom', ({ t, df, twoSidedP, sf, pdf }) => {
    expectClose(studentTTwoSidedPValue(t, df), twoSidedP, 'two-sided p');
    expectClose(studentTSf(t, df), sf, 'sf');
    expectClose(studentTPdf(t, df), pdf, 'pdf');
  });

  it.each(studentTQuantile)('upper $upperTail quantile with $df degrees of freedom', ({ upperTail, df, quantile }) => {
    expectClose(studentTUpperQuantile(upperTail, df), quantile, 'quantile');
  });
});

describe('chi-square distribution (scipy.stats.chi2)', () => {
  it.each(chiSquare)('P(X ≥ $x) with $df degrees of freedom', ({ x, df, sf }) => {
    expectClose(chiSquareSf(x, df), sf, 'sf');
  });
});
