import { expectClose, thrownBy } from '../../fixtures/ml/assertions';
import { loadMarketingCampaign } from '../../fixtures/ml/marketing-campaign';
import { rocAuc } from './auc';
import { PropensityException } from './propensity.exception';

describe('rocAuc against scikit-learn roc_auc_score', () => {
  const { fixture, outcome } = loadMarketingCampaign();
  const testOutcome = fixture.split.test.map((row) => outcome[row]);

  it.each(fixture.cases.map((testCase) => [testCase.C, testCase] as const))('scikit-learn held-out scores of C = %p', (_C, testCase) => {
    expectClose(rocAuc(testCase.testScores, testOutcome), testCase.testAuc, 1e-9, 'AUC');
  });

  it('counts ties as one half', () => {
    expectClose(rocAuc(fixture.aucWithTies.scores, fixture.aucWithTies.labels), fixture.aucWithTies.auc, 1e-9, 'AUC with ties');
  });
});

describe('rocAuc', () => {
  it('is the probability a positive outscores a negative', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([5, 5, 5, 5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('refuses a single class, a non-binary outcome, mismatched lengths and non-finite scores', () => {
    const thrown = (work: () => unknown) => thrownBy(PropensityException, work);
    expect(thrown(() => rocAuc([0.2, 0.3], [1, 1]))).toMatchObject({ code: 'single_class' });
    expect(thrown(() => rocAuc([0.2, 0.3], [1, 3]))).toMatchObject({ code: 'invalid_outcome' });
    expect(thrown(() => rocAuc([0.2], [0, 1]))).toMatchObject({ code: 'shape_mismatch' });
    expect(thrown(() => rocAuc([0.2, Number.NaN], [0, 1]))).toMatchObject({ code: 'non_finite' });
  });
});
