import { applyTraits, mergeTraitStates, TraitState } from '../index';

const empty: TraitState = { traits: {}, timestamps: {} };

describe('applyTraits: last write wins by event time', () => {
  it('sets new traits with their event time', () => {
    const { state, changed } = applyTraits(empty, { plan: 'pro', age: 40 }, '2024-05-01T10:00:00Z');
    expect(changed).toBe(true);
    expect(state).toEqual({
      traits: { plan: 'pro', age: 40 },
      timestamps: { plan: '2024-05-01T10:00:00.000Z', age: '2024-05-01T10:00:00.000Z' },
    });
  });

  it('ignores an older value that arrives late, but takes its new traits', () => {
    const newer = applyTraits(empty, { plan: 'pro' }, '2024-05-02T00:00:00Z').state;
    const { state } = applyTraits(newer, { plan: 'free', city: 'Leeds' }, '2024-05-01T00:00:00Z');
    expect(state.traits).toEqual({ plan: 'pro', city: 'Leeds' });
    expect(state.timestamps.plan).toBe('2024-05-02T00:00:00.000Z');
  });

  it('gives the same result whatever the arrival order', () => {
    const a = { traits: { plan: 'free' }, at: '2024-01-01T00:00:00Z' };
    const b = { traits: { plan: 'pro' }, at: '2024-03-01T00:00:00Z' };
    const c = { traits: { plan: 'team' }, at: '2024-02-01T00:00:00Z' };
    const orders = [
      [a, b, c],
      [c, b, a],
      [b, a, c],
    ];
    const results = orders.map((order) => order.reduce((state, call) => applyTraits(state, call.traits, call.at).state, empty).traits);
    expect(results).toEqual([{ plan: 'pro' }, { plan: 'pro' }, { plan: 'pro' }]);
  });

  it('lets the incoming value win a tie, and reports no change when nothing changes', () => {
    const first = applyTraits(empty, { plan: 'pro' }, '2024-05-01T00:00:00Z').state;
    expect(applyTraits(first, { plan: 'team' }, '2024-05-01T00:00:00Z').state.traits.plan).toBe('team');
    expect(applyTraits(first, { plan: 'pro' }, '2024-05-01T00:00:00Z').changed).toBe(false);
  });

  it('treats a trait without a recorded time as oldest', () => {
    const legacy: TraitState = { traits: { plan: 'legacy' }, timestamps: {} };
    expect(applyTraits(legacy, { plan: 'pro' }, '2000-01-01T00:00:00Z').state.traits.plan).toBe('pro');
  });
});

describe('mergeTraitStates (profile merges)', () => {
  it('keeps, per trait, the value with the later time from either profile', () => {
    const winner: TraitState = {
      traits: { plan: 'pro', city: 'York' },
      timestamps: { plan: '2024-05-01T00:00:00.000Z', city: '2023-01-01T00:00:00.000Z' },
    };
    const loser: TraitState = {
      traits: { plan: 'free', city: 'Leeds', age: 30 },
      timestamps: { plan: '2024-01-01T00:00:00.000Z', city: '2024-02-01T00:00:00.000Z', age: '2020-01-01T00:00:00.000Z' },
    };
    expect(mergeTraitStates(winner, loser).state.traits).toEqual({ plan: 'pro', city: 'Leeds', age: 30 });
  });
});
