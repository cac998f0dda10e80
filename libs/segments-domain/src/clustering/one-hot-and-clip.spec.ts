import { thrownBy } from '../../fixtures/ml/assertions';
import { ClusteringException } from './clustering.exception';
import { categoricalCodes, featureMatrix } from './feature-matrix';
import { applyPreprocessor, fitPreprocessor } from './preprocessing';

/** A matrix with one numeric column `spend` and one categorical column `plan`, rows labelled by profile id. */
function matrixOf(spend: number[], plan: (string | null)[], labels?: string[]) {
  const { codes, levels } = categoricalCodes(plan);
  const data = new Float64Array(spend.length * 2);
  spend.forEach((value, i) => {
    data[i * 2] = value;
    data[i * 2 + 1] = codes[i];
  });
  return featureMatrix(data, spend.length, ['spend', 'plan'], { categories: { plan: levels }, rowLabels: labels });
}

describe('one-hot categorical columns', () => {
  const fitted = fitPreprocessor(
    matrixOf([1, 2, 3, 4, 5, 6, 7], ['b', 'a', 'b', 'c', 'a', null, 'd'], ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']),
    { scaling: 'none', topLevels: { plan: 2 } },
  );

  it('keeps the top levels (ties: smaller value first), the rest as other, missing as its own level', () => {
    expect(fitted.features.map((feature) => feature.name)).toEqual(['spend', 'plan=a', 'plan=b', 'plan:other', 'plan:missing']);
    expect(fitted.notes).toContain(
      'plan: one-hot, 2 level(s) kept, 2 rarer level(s) (2 profile(s)) as plan:other, 1 missing as plan:missing',
    );
  });

  it('scores with the stored levels whatever the new data codes them as; an unseen value is other', () => {
    const scored = applyPreprocessor(fitted, matrixOf([9, 9, 9, 9], ['zzz', 'b', null, 'a']));
    const rows = Array.from({ length: 4 }, (_, i) => Array.from(scored.data.subarray(i * 5 + 1, i * 5 + 5)));
    expect(rows).toEqual([
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 1],
      [1, 0, 0, 0],
    ]);
  });

  it('refuses a categorical column with one level, naming the column', () => {
    const error = thrownBy(ClusteringException, () => fitPreprocessor(matrixOf([1, 2, 3], ['x', 'x', 'x'])));
    expect(error).toMatchObject({ code: 'constant_feature', field: 'plan=x' });
  });

  it('refuses numeric options on a categorical column', () => {
    expect(thrownBy(ClusteringException, () => fitPreprocessor(matrixOf([1, 2, 3], ['x', 'y', 'x']), { log1p: ['plan'] }))).toMatchObject({
      code: 'invalid_option',
      field: 'plan',
    });
  });
});

describe('clip and shift before log1p', () => {
  const spend = [-250.5, 0, 10, 100];
  const plan = ['a', 'b', 'a', 'b'];

  it('a value ≤ −1 under log1p is refused naming the profile, not a row position', () => {
    const error = thrownBy(ClusteringException, () =>
      fitPreprocessor(matrixOf(spend, plan, ['9f0c', 'p2', 'p3', 'p4']), { log1p: ['spend'] }),
    );
    expect(error).toMatchObject({ code: 'invalid_value', field: 'spend', profileId: '9f0c' });
    expect(error.reason).toMatch(/^profile 9f0c has -250.5; log1p needs values above -1/);
  });

  it('clip.min turns net refunds into the bound; clip.max caps; shift moves before the log', () => {
    const clipped = fitPreprocessor(matrixOf(spend, plan), { scaling: 'none', log1p: ['spend'], clip: { spend: { min: 0, max: 50 } } });
    const values = applyPreprocessor(clipped, matrixOf(spend, plan));
    expect([0, 1, 2, 3].map((i) => values.data[i * 3])).toEqual([0, 0, Math.log1p(10), Math.log1p(50)]);
    const shifted = fitPreprocessor(matrixOf(spend, plan), { scaling: 'none', log1p: ['spend'], shift: { spend: 300 } });
    expect(applyPreprocessor(shifted, matrixOf(spend, plan)).data[0]).toBeCloseTo(Math.log1p(49.5), 12);
  });

  it('a stored preprocessor from before clipping existed (no clip, no shift) scores as before', () => {
    const old = fitPreprocessor(matrixOf([1, 2, 3, 4], plan), { scaling: 'none', log1p: ['spend'] });
    expect(old.features[0]).not.toHaveProperty('clip');
    expect(old.features[0]).not.toHaveProperty('shift');
    expect(applyPreprocessor(old, matrixOf([3], ['a'])).data[0]).toBe(Math.log1p(3));
  });
});
