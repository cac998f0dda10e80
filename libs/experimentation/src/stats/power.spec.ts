import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { minimumDetectableEffect, twoProportionPower, twoProportionSampleSize } from './power';

describe('minimumDetectableEffect (statsmodels power_proportions_2indep solved with brentq)', () => {
  it.each(fixtures.minimumDetectableEffect)(
    'baseline $baselineRate, $treatmentMembers vs $controlMembers, alpha $alpha, power $power',
    ({ baselineRate, treatmentMembers, controlMembers, alpha, power, absolute }) => {
      const mde = minimumDetectableEffect({ baselineRate, treatmentMembers, controlMembers, alpha }, power);
      expectClose(mde?.absolute, absolute, 'MDE');
      expect(mde?.relative).toBe(baselineRate > 0 ? (mde?.absolute ?? 0) / baselineRate : null);
    },
  );

  it('is null when no possible lift reaches the power (tiny arms) or an arm is empty', () => {
    expect(minimumDetectableEffect({ baselineRate: 0.5, treatmentMembers: 2, controlMembers: 1, alpha: 0.05 }, 0.99)).toBeNull();
    expect(minimumDetectableEffect({ baselineRate: 0.5, treatmentMembers: 10, controlMembers: 0, alpha: 0.05 }, 0.8)).toBeNull();
  });
});

describe('twoProportionSampleSize (statsmodels samplesize_proportions_2indep_onetail)', () => {
  it.each(fixtures.sampleSize)(
    'baseline $baselineRate, effect $absoluteEffect, control share $controlShare',
    ({ baselineRate, absoluteEffect, alpha, power, controlShare, treatmentExact, powerAtExact }) => {
      const size = twoProportionSampleSize({ baselineRate, absoluteEffect, alpha, power, controlShare });
      expectClose(size.treatmentExact, treatmentExact, 'treatment members');
      expect(size.treatmentMembers).toBe(Math.ceil(treatmentExact));
      expect(size.controlMembers).toBe(Math.ceil(treatmentExact * (controlShare / (1 - controlShare))));
      // The one-tail formula gives (just about) the requested power under the two-tailed power function.
      const ratio = controlShare / (1 - controlShare);
      expectClose(
        twoProportionPower(
          { baselineRate, treatmentMembers: treatmentExact, controlMembers: treatmentExact * ratio, alpha },
          absoluteEffect,
        ),
        powerAtExact,
        'power',
      );
    },
  );

  it('refuses a zero effect and one that leaves [0, 1]', () => {
    const base = { baselineRate: 0.05, alpha: 0.05, power: 0.8, controlShare: 0.1 };
    expect(thrownBy(ExperimentationException, () => twoProportionSampleSize({ ...base, absoluteEffect: 0 })).field).toBe('absoluteEffect');
    expect(thrownBy(ExperimentationException, () => twoProportionSampleSize({ ...base, absoluteEffect: -0.06 })).field).toBe(
      'absoluteEffect',
    );
    expect(
      thrownBy(ExperimentationException, () => twoProportionSampleSize({ ...base, absoluteEffect: 0.01, controlShare: 1 })),
    ).toMatchObject({
      code: 'invalid_share',
      field: 'controlShare',
    });
  });
});
