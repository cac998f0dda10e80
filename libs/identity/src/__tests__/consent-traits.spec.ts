import { applyTraits, mergeTraitStates, TraitState } from '../index';

const empty: TraitState = { traits: {}, timestamps: {} };

describe('consent traits: an opt-out received after the last opt-in wins', () => {
  it('applies an opt-out whatever its event time, over an opt-in dated far in the future', () => {
    const optedIn = applyTraits(empty, { unsubscribed: false }, '9999-12-31T00:00:00Z', '2026-12-07T00:00:00Z').state;
    const { state } = applyTraits(optedIn, { unsubscribed: true }, '2026-12-07T01:00:00Z', '2026-12-07T01:00:00Z');
    expect(state.traits['unsubscribed']).toBe(true);
  });

  it('applies an opt-out dated in the past (an offline client) over an earlier-received opt-in', () => {
    const optedIn = applyTraits(empty, { unsubscribed: false }, '2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z').state;
    const { state } = applyTraits(optedIn, { unsubscribed: true }, '2026-12-01T00:00:00Z', '2026-12-07T02:00:00Z');
    expect(state.traits['unsubscribed']).toBe(true);
  });

  it('lets a later opt-in re-subscribe, but not a stale one that arrives after the opt-out', () => {
    const optedOut = applyTraits(empty, { unsubscribed: true }, '2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z').state;
    expect(
      applyTraits(optedOut, { unsubscribed: false }, '2026-12-06T00:00:00Z', '2026-12-07T05:00:00Z').state.traits['unsubscribed'],
    ).toBe(true);
    expect(
      applyTraits(optedOut, { unsubscribed: false }, '2026-12-07T00:00:00Z', '2026-12-07T05:00:00Z').state.traits['unsubscribed'],
    ).toBe(true);
    expect(
      applyTraits(optedOut, { unsubscribed: false }, '2026-12-07T03:00:00Z', '2026-12-07T03:00:00Z').state.traits['unsubscribed'],
    ).toBe(false);
  });

  it('judges consent per channel: an opt-in for sms leaves an email opt-out in place', () => {
    const optedOut = applyTraits(empty, { consent: { email: false } }, '2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z').state;
    const { state } = applyTraits(optedOut, { consent: { email: true, sms: true } }, '9999-12-31T00:00:00Z', '2026-12-07T01:00:00Z');
    // The email opt-in is dated after the opt-out, so it counts; a stale one would not.
    expect(state.traits['consent']).toEqual({ email: true, sms: true });
    const stale = applyTraits(optedOut, { consent: { email: true, sms: true } }, '2026-12-06T00:00:00Z', '2026-12-07T01:00:00Z').state;
    expect(stale.traits['consent']).toEqual({ email: false, sms: true });
    const replaced = applyTraits(optedOut, { consent: null }, '2026-12-08T00:00:00Z', '2026-12-08T00:00:00Z').state;
    expect(replaced.traits['consent']).toEqual({ email: false });
  });

  it('keeps the opt-out when a merge meets an opt-in recorded at the same time', () => {
    const optedOut = applyTraits(empty, { unsubscribed: true }, '2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z').state;
    const optedIn = applyTraits(empty, { unsubscribed: false }, '2026-12-07T00:00:00Z', '2026-12-07T00:00:00Z').state;
    expect(mergeTraitStates(optedOut, optedIn).state.traits['unsubscribed']).toBe(true);
    expect(mergeTraitStates(optedIn, optedOut).state.traits['unsubscribed']).toBe(true);
  });

  it('reports no change when the same consent arrives again', () => {
    const optedOut = applyTraits(
      empty,
      { unsubscribed: true, consent: { email: false } },
      '2026-12-07T00:00:00Z',
      '2026-12-07T00:00:00Z',
    ).state;
    expect(
      applyTraits(optedOut, { unsubscribed: true, consent: { email: false } }, '2026-12-06T00:00:00Z', '2026-12-06T00:00:00Z').changed,
    ).toBe(false);
  });
});
