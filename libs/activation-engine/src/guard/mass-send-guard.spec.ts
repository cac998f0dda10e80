import { DEFAULT_REALTIME_SENDS_PER_HOUR, massSendDecision, onChangeSendDecision } from './mass-send-guard';

describe('massSendDecision', () => {
  it.each([
    // count, last run sent, threshold, growth %, held (growth counts from 0 messages here)
    [10_000, null, undefined, undefined, false],
    [10_001, null, undefined, undefined, true],
    [150, 100, undefined, undefined, false],
    [151, 100, undefined, undefined, true],
    [5, 0, 10, 50, false], // a last run that sent nothing has no growth rule
    [11, 20, 10, 50, true],
    [30, 20, 100, 50, false],
    [31, 20, 100, 50, true],
  ])('count %p after %p (threshold %p, growth %p%%) → held %p', (count, last, threshold, growthPct, held) => {
    const decision = massSendDecision(count, last, {
      AK_MASS_SEND_THRESHOLD: threshold,
      AK_MASS_SEND_GROWTH_PCT: growthPct,
      AK_MASS_SEND_GROWTH_MIN: 0,
    });
    expect(decision.hold).toBe(held);
    expect(decision.reasons.length > 0).toBe(held);
  });

  it('ignores growth below the minimum count (100 by default)', () => {
    expect(massSendDecision(99, 10).hold).toBe(false);
    expect(massSendDecision(100, 10).reasons).toEqual(["100 messages is more than 50% above the last run's 10"]);
    expect(massSendDecision(30, 10, { AK_MASS_SEND_GROWTH_MIN: 31 }).hold).toBe(false);
  });

  it('names both reasons when both apply', () => {
    expect(
      massSendDecision(40, 10, { AK_MASS_SEND_THRESHOLD: 20, AK_MASS_SEND_GROWTH_PCT: 50, AK_MASS_SEND_GROWTH_MIN: 0 }).reasons,
    ).toEqual(['40 messages is above the mass-send threshold of 20', "40 messages is more than 50% above the last run's 10"]);
  });
});

describe('onChangeSendDecision (the hourly cap of real-time sends)', () => {
  it.each([
    // count, sent this hour, cap, held
    [5, 0, 5, false],
    [6, 0, 5, true],
    [1, 5, 5, true],
    [3, 2, 5, false],
    [0, 9, 5, false], // nothing to send is never held
    [DEFAULT_REALTIME_SENDS_PER_HOUR, 0, undefined, false],
    [1, DEFAULT_REALTIME_SENDS_PER_HOUR, undefined, true],
  ])('%i messages after %i this hour, cap %s → held %s', (count, sent, cap, held) => {
    const decision = onChangeSendDecision(count, sent, cap === undefined ? {} : { AK_REALTIME_SENDS_PER_HOUR: cap });
    expect(decision.hold).toBe(held);
    expect(decision.reasons.length > 0).toBe(held);
    expect(decision.threshold).toBe(cap ?? DEFAULT_REALTIME_SENDS_PER_HOUR);
  });
});
