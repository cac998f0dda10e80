import { mulberry32 } from '@audiencekit/testing';
import vectors from '../../fixtures/hash-vectors.json';
import stats from '../../fixtures/stats.json';
import { thrownBy } from '../../fixtures/assertions';
import { ExperimentationException } from '../experimentation.exception';
import { contingencyChiSquare, pearsonStatistic } from '../stats/chi-square';
import { fnv1a32 } from './fnv1a';
import {
  assignArm,
  createArmResolver,
  createHoldoutAssigner,
  HOLDOUT_HASH_VERSION,
  holdoutBucket,
  holdoutHash,
  isInGlobalHoldout,
  resolveArm,
} from './holdout';

/** χ² critical values at α = 0.001 from scipy (chi2.isf), so these tests fail about once in 1,000 seeds, and not on this one. */
function critical(df: number): number {
  const entry = stats.chiSquareCritical.find((row) => row.df === df && row.alpha === 0.001);
  if (!entry) throw new Error(`no critical value for ${df} degrees of freedom in stats.json`);
  return entry.critical;
}

const MILLION = 1_000_000;

// Math.* is looked up once per helper: inside jest's sandbox each global lookup is slow.
const { floor } = Math;

function uuidLikeIds(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const hex = (digits: number) => {
    let text = '';
    for (let i = 0; i < digits; i++) text += '0123456789abcdef'[floor(random() * 16)];
    return text;
  };
  return Array.from({ length: count }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[floor(random() * 4)]}${hex(3)}-${hex(12)}`);
}

const sequentialIds = Array.from({ length: MILLION }, (_, i) => String(i));
const uuids = uuidLikeIds(MILLION, 20240905);

/** χ² of the bucket values over `bins` equal-width bins against a uniform distribution. */
function uniformityStatistic(buckets: (id: string) => number, ids: string[], bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (const id of ids) counts[floor(buckets(id) * bins)]++;
  return pearsonStatistic(counts, new Array<number>(bins).fill(ids.length / bins));
}

describe('holdout hash: language-neutral test vectors (computed independently in Python)', () => {
  it.each(vectors.vectors)('$salt : $profileId', ({ salt, profileId, utf8Hex, fnv1a32: rawHash, hash, bucket, controlAt }) => {
    expect(Buffer.from(`${salt}:${profileId}`, 'utf8').toString('hex')).toBe(utf8Hex);
    expect(fnv1a32(`${salt}:${profileId}`)).toBe(rawHash);
    expect(holdoutHash(salt, profileId)).toBe(hash);
    expect(holdoutBucket(salt, profileId)).toBe(bucket);
    const assigner = createHoldoutAssigner(salt, 0.1);
    expect(assigner.bucket(profileId)).toBe(bucket);
    for (const [share, inControl] of Object.entries(controlAt)) {
      expect([share, assignArm(salt, profileId, Number(share))]).toEqual([share, inControl ? 'control' : 'treatment']);
      expect(createHoldoutAssigner(salt, Number(share)).isControl(profileId)).toBe(inControl);
    }
  });
});

describe('stickiness', () => {
  const ids = uuids.slice(0, 20_000);
  const first = ids.map((id) => assignArm('activation-42', id, 0.2));

  it('gives the same arm on every call, from the function and from a precomputed assigner', () => {
    const assigner = createHoldoutAssigner('activation-42', 0.2);
    expect(ids.map((id) => assignArm('activation-42', id, 0.2))).toEqual(first);
    expect(ids.map((id) => assigner.arm(id))).toEqual(first);
  });

  it('gives the same arm from a freshly loaded module (a restart or another worker)', () => {
    jest.isolateModules(() => {
      const fresh = require('./holdout') as typeof import('./holdout');
      expect(ids.map((id) => fresh.assignArm('activation-42', id, 0.2))).toEqual(first);
    });
  });

  it('changes with the salt (a new salt is a new split)', () => {
    const other = ids.map((id) => assignArm('activation-43', id, 0.2));
    expect(other).not.toEqual(first);
  });
});

describe('monotone control share', () => {
  it('only moves profiles from treatment into control as the share grows, never back', () => {
    const ids = uuids.slice(0, 200_000);
    const shares = [0, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.9, 0.99];
    let previous = new Set<string>();
    for (const share of shares) {
      const assigner = createHoldoutAssigner('activation-42', share);
      const control = new Set(ids.filter((id) => assigner.isControl(id)));
      const movedBack = [...previous].filter((id) => !control.has(id));
      expect([share, movedBack]).toEqual([share, []]);
      expect(control.size).toBeGreaterThanOrEqual(previous.size);
      previous = control;
    }
    expect(previous.size).toBeGreaterThan(0.98 * ids.length);
  });

  it('puts nobody in control at share 0', () => {
    expect(uuids.slice(0, 10_000).some((id) => assignArm('activation-42', id, 0) === 'control')).toBe(false);
  });
});

describe('uniformity over 1M ids (χ² against critical values from scipy)', () => {
  it.each([
    ['random UUIDs', uuids],
    ['sequential ids "0" … "999999"', sequentialIds],
  ])('buckets of %s are uniform over 100 bins', (_, ids) => {
    const assigner = createHoldoutAssigner('activation-42', 0.1);
    expect(uniformityStatistic(assigner.bucket, ids, 100)).toBeLessThan(critical(99));
  });

  it.each([
    ['random UUIDs', uuids],
    ['sequential ids', sequentialIds],
  ])('arm sizes of %s match a 10/90 split', (_, ids) => {
    const assigner = createHoldoutAssigner('global-holdout', 0.1);
    const control = ids.reduce((count, id) => count + (assigner.isControl(id) ? 1 : 0), 0);
    const statistic = pearsonStatistic([control, ids.length - control], [0.1 * ids.length, 0.9 * ids.length]);
    expect(statistic).toBeLessThan(critical(1));
  });

  it('needs the fmix32 finaliser: raw FNV-1a fails the same test on sequential ids', () => {
    const rawBucket = (id: string) => fnv1a32(`activation-42:${id}`) / 4294967296;
    expect(uniformityStatistic(rawBucket, sequentialIds, 100)).toBeGreaterThan(critical(99));
  });
});

describe('independence of salts (2×2 χ², 1M ids)', () => {
  it.each([
    ['the global holdout and an activation', 'global-holdout', 0.05, 'activation-42', 0.1],
    ['two activations', 'activation-42', 0.1, 'activation-43', 0.5],
  ])('%s split the same profiles independently', (_, saltA, shareA, saltB, shareB) => {
    for (const ids of [uuids, sequentialIds]) {
      const a = createHoldoutAssigner(saltA, shareA);
      const b = createHoldoutAssigner(saltB, shareB);
      const table = [
        [0, 0],
        [0, 0],
      ];
      for (const id of ids) table[a.isControl(id) ? 1 : 0][b.isControl(id) ? 1 : 0]++;
      expect(contingencyChiSquare(table).statistic).toBeLessThan(critical(1));
    }
  });
});

describe('global holdout and resolveArm', () => {
  const config = { globalHoldout: { salt: 'global-holdout', share: 0.05 }, activation: { salt: 'activation-42', share: 0.1 } };
  const ids = uuids.slice(0, 200_000);

  it('applies the global holdout first, then the activation split', () => {
    const resolve = createArmResolver(config);
    const sample = ids.slice(0, 20_000);
    const expected = sample.map((id) =>
      isInGlobalHoldout('global-holdout', id, 0.05) ? 'global_holdout' : assignArm('activation-42', id, 0.1),
    );
    expect(sample.map(resolve)).toEqual(expected);
    expect(sample.map((id) => resolveArm(config, id))).toEqual(expected);
    expect(expected).toContain('global_holdout');
    expect(expected).toContain('control');
  });

  it('holds back 5% globally and 10% of the rest per activation', () => {
    const resolve = createArmResolver(config);
    const counts = { global_holdout: 0, control: 0, treatment: 0 };
    for (const id of ids) counts[resolve(id)]++;
    const n = ids.length;
    const expected = [0.05 * n, 0.95 * 0.1 * n, 0.95 * 0.9 * n];
    expect(pearsonStatistic([counts.global_holdout, counts.control, counts.treatment], expected)).toBeLessThan(
      critical(3) /* df 2 ≤ df 3: conservative */,
    );
  });

  it('keeps a global-holdout member out of every activation, whatever its salt', () => {
    const held = ids.filter((id) => isInGlobalHoldout('global-holdout', id, 0.05)).slice(0, 2_000);
    for (const salt of ['activation-1', 'activation-2', 'activation-3']) {
      const resolve = createArmResolver({ ...config, activation: { salt, share: 0.3 } });
      expect(held.every((id) => resolve(id) === 'global_holdout')).toBe(true);
    }
  });

  it('works without a global holdout', () => {
    expect(resolveArm({ globalHoldout: null, activation: { salt: 'activation-42', share: 0.1 } }, uuids[0])).toBe(
      assignArm('activation-42', uuids[0], 0.1),
    );
  });
});

describe('bad input', () => {
  it.each([1, 1.5, -0.01, Number.NaN, Number.POSITIVE_INFINITY])('refuses a control share of %p with the field and reason', (share) => {
    const error = thrownBy(ExperimentationException, () => assignArm('activation-42', 'p-1', share));
    expect(error).toMatchObject({ code: 'invalid_share', field: 'controlShare' });
    expect(error.reason).toMatch(/0 ≤ share < 1/);
  });

  it('names the offending share in a combined configuration', () => {
    expect(
      thrownBy(ExperimentationException, () =>
        resolveArm({ globalHoldout: { salt: 'g', share: 1 }, activation: { salt: 'a', share: 0.1 } }, 'p-1'),
      ).field,
    ).toBe('globalHoldout.share');
    expect(thrownBy(ExperimentationException, () => resolveArm({ activation: { salt: 'a', share: -1 } }, 'p-1')).field).toBe(
      'activation.share',
    );
    expect(thrownBy(ExperimentationException, () => isInGlobalHoldout('g', 'p-1', 2)).field).toBe('globalHoldout.share');
  });

  it('refuses an empty salt or profile id', () => {
    expect(thrownBy(ExperimentationException, () => holdoutBucket('', 'p-1'))).toMatchObject({ code: 'invalid_identifier', field: 'salt' });
    expect(thrownBy(ExperimentationException, () => createHoldoutAssigner('a', 0.1).arm(''))).toMatchObject({
      code: 'invalid_identifier',
      field: 'profileId',
    });
  });
});

describe('hash version stored beside the salt', () => {
  it('is version 1, and a split carrying it assigns exactly as one without it', () => {
    expect(HOLDOUT_HASH_VERSION).toBe(1);
    const ids = uuids.slice(0, 2_000);
    const versioned = createArmResolver({
      globalHoldout: { salt: 'g', share: 0.05, hashVersion: 1 },
      activation: { salt: 'a', share: 0.2, hashVersion: 1 },
    });
    const plain = createArmResolver({ globalHoldout: { salt: 'g', share: 0.05 }, activation: { salt: 'a', share: 0.2 } });
    expect(ids.map(versioned)).toEqual(ids.map(plain));
    expect(createHoldoutAssigner('a', 0.2).hashVersion).toBe(1);
  });

  it.each([0, 2, 1.5, Number.NaN])('refuses a stored version %p it does not implement, naming the field (no fallback)', (hashVersion) => {
    const activation = thrownBy(ExperimentationException, () => resolveArm({ activation: { salt: 'a', share: 0.1, hashVersion } }, 'p-1'));
    expect(activation).toMatchObject({ code: 'unknown_hash_version', field: 'activation.hashVersion' });
    expect(activation.reason).toMatch(/not implemented here \(known: 1\)/);
    const global = thrownBy(ExperimentationException, () =>
      createArmResolver({ globalHoldout: { salt: 'g', share: 0.1, hashVersion }, activation: { salt: 'a', share: 0.1 } }),
    );
    expect(global).toMatchObject({ code: 'unknown_hash_version', field: 'globalHoldout.hashVersion' });
    expect(thrownBy(ExperimentationException, () => createHoldoutAssigner('a', 0.1, undefined, hashVersion))).toMatchObject({
      code: 'unknown_hash_version',
      field: 'hashVersion',
    });
  });
});
