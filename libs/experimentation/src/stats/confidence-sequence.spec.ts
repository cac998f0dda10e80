import { mulberry32 } from '@audiencekit/testing';
import fixtures from '../../fixtures/stats.json';
import { expectClose, thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { normalMixtureConfidenceSequence, tunedMixtureVariance } from './confidence-sequence';
import { normalUpperQuantile } from './normal';

describe('normalMixtureConfidenceSequence', () => {
  it.each(fixtures.confidenceSequence)(
    'estimate $estimate ± … with se $standardError, τ² $mixtureVariance (mixture likelihood ratio integrated numerically with scipy)',
    ({ estimate, standardError, alpha, mixtureVariance, lower, upper }) => {
      const sequence = normalMixtureConfidenceSequence({ estimate, standardError, alpha, mixtureVariance });
      expectClose(sequence.lower, lower, 'lower');
      expectClose(sequence.upper, upper, 'upper');
      expect(sequence.rho).toBe(1 / mixtureVariance);
    },
  );

  it('is always wider than the fixed-horizon interval at the same level', () => {
    const sequence = normalMixtureConfidenceSequence({ estimate: 0.01, standardError: 0.004, alpha: 0.05, mixtureVariance: 1e-4 });
    expect(sequence.halfWidth).toBeGreaterThan(normalUpperQuantile(0.025) * 0.004);
  });

  it('refuses a non-positive mixture variance', () => {
    expect(
      thrownBy(ExperimentationException, () =>
        normalMixtureConfidenceSequence({ estimate: 0, standardError: 1, alpha: 0.05, mixtureVariance: 0 }),
      ).field,
    ).toBe('mixtureVariance');
  });
});

describe('tunedMixtureVariance', () => {
  it.each(fixtures.tunedMixtureVariance)(
    'alpha $alpha (fixed point solved with scipy brentq)',
    ({ alpha, plannedStandardError, mixtureVariance }) => {
      expectClose(tunedMixtureVariance(plannedStandardError, alpha), mixtureVariance, 'τ²');
    },
  );

  it('gives the narrowest interval at the planned standard error', () => {
    const tau2 = tunedMixtureVariance(0.003, 0.05);
    const width = (mixtureVariance: number) =>
      normalMixtureConfidenceSequence({ estimate: 0, standardError: 0.003, alpha: 0.05, mixtureVariance }).halfWidth;
    expect(width(tau2)).toBeLessThan(width(tau2 * 1.05));
    expect(width(tau2)).toBeLessThan(width(tau2 / 1.05));
  });
});

describe('peeking (A/A simulation, 1,000 experiments looked at 40 times each)', () => {
  // Every look adds 250 members per arm at a true 10% rate in both arms, so any interval that
  // excludes 0 at any look is a false positive. Daily looks at a fixed-horizon 95% interval inflate
  // the error well beyond 5%; the confidence sequence keeps it at most 5%.
  const experiments = 1_000;
  const looks = 40;
  const perLook = 250;
  const rate = 0.1;
  const alpha = 0.05;
  const plannedStandardError = Math.sqrt((2 * rate * (1 - rate)) / (looks * perLook));
  const mixtureVariance = tunedMixtureVariance(plannedStandardError, alpha);
  const z = normalUpperQuantile(alpha / 2);

  const random = mulberry32(20250301);
  let fixedFalsePositives = 0;
  let sequentialFalsePositives = 0;
  for (let e = 0; e < experiments; e++) {
    let treated = 0;
    let control = 0;
    let fixedRejected = false;
    let sequentialRejected = false;
    for (let look = 1; look <= looks; look++) {
      for (let i = 0; i < perLook; i++) {
        if (random() < rate) treated++;
        if (random() < rate) control++;
      }
      const n = look * perLook;
      const difference = treated / n - control / n;
      const standardError = Math.sqrt(((treated / n) * (1 - treated / n)) / n + ((control / n) * (1 - control / n)) / n);
      if (Math.abs(difference) > z * standardError) fixedRejected = true;
      const sequence = normalMixtureConfidenceSequence({ estimate: difference, standardError, alpha, mixtureVariance });
      if (sequence.lower > 0 || sequence.upper < 0) sequentialRejected = true;
    }
    if (fixedRejected) fixedFalsePositives++;
    if (sequentialRejected) sequentialFalsePositives++;
  }

  it('keeps the error rate of the confidence sequence at or below alpha', () => {
    expect(sequentialFalsePositives / experiments).toBeLessThanOrEqual(alpha);
  });

  it('shows why it is needed: the fixed-horizon interval, peeked at, errs far more often than alpha', () => {
    expect(fixedFalsePositives / experiments).toBeGreaterThan(2 * alpha);
  });
});
