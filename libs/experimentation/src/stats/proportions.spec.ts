import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { newcombeDifference, proportionDifference, relativeLift, twoProportionZTest, wilsonInterval } from './proportions';

describe('wilsonInterval (statsmodels proportion_confint, method="wilson")', () => {
  it.each(fixtures.wilson)('$successes of $trials at alpha $alpha', ({ successes, trials, alpha, lower, upper }) => {
    const interval = wilsonInterval(successes, trials, alpha);
    // At 0 (or all) successes the bound is centre − half-width of two equal numbers: 0 (or 1) up to rounding.
    const floor = successes === 0 || successes === trials ? 1e-15 : 0;
    expectClose(interval?.lower, lower, 'lower', floor);
    expectClose(interval?.upper, upper, 'upper', floor);
    expect(interval?.estimate).toBe(successes / trials);
  });

  it('returns null for an empty arm instead of 0/0', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('refuses more successes than trials, naming the field', () => {
    const error = thrownBy(ExperimentationException, () => wilsonInterval(5, 4));
    expect(error).toMatchObject({ code: 'inconsistent_input', field: 'conversions' });
  });

  it('refuses fractional counts and an alpha outside (0, 1)', () => {
    expect(thrownBy(ExperimentationException, () => wilsonInterval(1.5, 4)).field).toBe('conversions');
    expect(thrownBy(ExperimentationException, () => wilsonInterval(1, 4, 1)).field).toBe('alpha');
  });
});

describe('proportionDifference (statsmodels confint_proportions_2indep, method="wald")', () => {
  it.each(fixtures.difference)(
    '$treatment.conversions/$treatment.members vs $control.conversions/$control.members at $alpha',
    (expected) => {
      const result = proportionDifference(expected.treatment, expected.control, expected.alpha);
      expectClose(result?.estimate, expected.estimate, 'estimate');
      expectClose(result?.lower, expected.lower, 'lower');
      expectClose(result?.upper, expected.upper, 'upper');
      expectClose(result?.standardError, expected.standardError, 'standard error');
    },
  );

  it('is null when an arm is empty', () => {
    expect(proportionDifference({ members: 0, conversions: 0 }, { members: 10, conversions: 1 })).toBeNull();
  });
});

describe('newcombeDifference (statsmodels confint_proportions_2indep, method="newcomb")', () => {
  it.each(fixtures.newcombe)('$treatment.conversions/$treatment.members vs $control.conversions/$control.members at $alpha', (expected) => {
    const result = newcombeDifference(expected.treatment, expected.control, expected.alpha);
    expectClose(result?.estimate, expected.estimate, 'estimate');
    expectClose(result?.lower, expected.lower, 'lower');
    expectClose(result?.upper, expected.upper, 'upper');
    // The unpooled standard error stays alongside (the always-valid sequence is built on it).
    expectClose(
      result?.standardError,
      proportionDifference(expected.treatment, expected.control, expected.alpha)?.standardError ?? NaN,
      'standard error',
      1e-15,
    );
  });

  it("agrees with the z-test at small counts (issue #16: 45/200 vs 0/10, p = 0.09, where Wald's interval excluded 0)", () => {
    const treatment = { members: 200, conversions: 45 };
    const control = { members: 10, conversions: 0 };
    const pValue = twoProportionZTest(treatment, control)?.pValue ?? 0;
    expect(pValue).toBeGreaterThan(0.05);
    expect(proportionDifference(treatment, control)?.lower).toBeGreaterThan(0); // the Wald interval disagrees with the test
    const interval = newcombeDifference(treatment, control);
    expect(interval?.lower).toBeLessThan(0);
    expect(interval?.upper).toBeGreaterThan(0);
  });

  it('never excludes 0 while the z-test is not significant at the same alpha (every reference case)', () => {
    const disagreeing = fixtures.newcombe.filter((expected) => {
      if (expected.zTestPValue === null) return false;
      const interval = newcombeDifference(expected.treatment, expected.control, expected.alpha);
      const excludesZero = (interval?.lower ?? 0) > 0 || (interval?.upper ?? 0) < 0;
      return excludesZero && expected.zTestPValue >= expected.alpha;
    });
    expect(disagreeing).toEqual([]);
  });

  it('has width even when both arms are at 0% (Wilson intervals of the arms are not points)', () => {
    const interval = newcombeDifference({ members: 9_000, conversions: 0 }, { members: 1_000, conversions: 0 });
    expect(interval).toMatchObject({ estimate: 0, standardError: 0 });
    expect(interval?.lower).toBeLessThan(0);
    expect(interval?.upper).toBeGreaterThan(0);
  });

  it('is null when an arm is empty, and refuses inconsistent counts naming the field', () => {
    expect(newcombeDifference({ members: 10, conversions: 1 }, { members: 0, conversions: 0 })).toBeNull();
    expect(
      thrownBy(ExperimentationException, () => newcombeDifference({ members: 3, conversions: 4 }, { members: 10, conversions: 1 })).field,
    ).toBe('treatment.conversions');
  });
});

describe('relativeLift (delta method)', () => {
  it.each(fixtures.relativeLift)(
    '$treatment.conversions/$treatment.members vs $control.conversions/$control.members at $alpha',
    (expected) => {
      const result = relativeLift(expected.treatment, expected.control, expected.alpha);
      expectClose(result?.estimate, expected.estimate, 'estimate');
      expectClose(result?.lower, expected.lower, 'lower');
      expectClose(result?.upper, expected.upper, 'upper');
    },
  );

  it('is null when the control arm has no conversions (a lift relative to 0)', () => {
    expect(relativeLift({ members: 50, conversions: 3 }, { members: 40, conversions: 0 })).toBeNull();
  });
});

describe('twoProportionZTest (statsmodels proportions_ztest, pooled)', () => {
  it.each(fixtures.zTest)('$treatment.conversions/$treatment.members vs $control.conversions/$control.members', (expected) => {
    const result = twoProportionZTest(expected.treatment, expected.control);
    expectClose(result?.z, expected.z, 'z');
    expectClose(result?.pValue, expected.pValue, 'p-value');
  });

  it('is null when nobody converted (0/0), where statsmodels returns NaN', () => {
    expect(twoProportionZTest({ members: 50, conversions: 0 }, { members: 40, conversions: 0 })).toBeNull();
    expect(twoProportionZTest({ members: 5, conversions: 5 }, { members: 4, conversions: 4 })).toBeNull();
  });
});
