import { onlineRetailOrderLines, readClvFixture } from '../../fixtures/clv/online-retail';
import { thrownBy } from '../../fixtures/ml/assertions';
import { expectedTransactions, fitBgNbd, probabilityAlive } from './bg-nbd';
import { clvTiers, fitClvModel, predictClv } from './clv-model';
import { ClvException } from './clv.exception';
import { MS_PER_DAY, summarizeOrders, type CustomerSummary } from './customer-summary';
import { fitGammaGamma } from './gamma-gamma';

/** |actual − expected| ≤ tolerance × |expected|: relative, even for small values. */
function expectRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance * Math.abs(expected[i]))) {
      throw new Error(
        `${what}[${i}]: expected ${expected[i]}, got ${actual[i]} (relative ${Math.abs(actual[i] / expected[i] - 1)} > ${tolerance})`,
      );
    }
  }
}

describe('CLV (BG/NBD + Gamma-Gamma) against the scipy reference on online_retail_sample.csv', () => {
  const fixture = readClvFixture();
  const lines = onlineRetailOrderLines();
  const summaries = summarizeOrders(lines);
  const model = fitClvModel(summaries);

  it('prepares the same customer summaries as the Python script', () => {
    expect(summaries.map((summary) => summary.customerId)).toEqual(fixture.customers);
    expect(summaries.map((summary) => summary.frequency)).toEqual(fixture.frequency);
    expectRelative(
      summaries.map((summary) => summary.recency),
      fixture.recency,
      1e-12,
      'recency',
    );
    expectRelative(
      summaries.map((summary) => summary.age),
      fixture.T,
      1e-12,
      'T',
    );
    expectRelative(
      summaries.map((summary) => summary.monetary),
      fixture.monetary,
      1e-12,
      'monetary',
    );
    expect(new Date(Math.max(...lines.map((line) => line.time))).toISOString()).toBe(fixture.calibrationEnd.replace('Z', '.000Z'));
  });

  it('fits the same BG/NBD and Gamma-Gamma parameters and log-likelihoods (1e-6 relative)', () => {
    const { r, alpha, a, b } = fixture.bgnbd;
    expectRelative([model.bgNbd.r, model.bgNbd.alpha, model.bgNbd.a, model.bgNbd.b], [r, alpha, a, b], 1e-6, 'bgnbd');
    const { p, q, v } = fixture.gammaGamma;
    expectRelative([model.gammaGamma.p, model.gammaGamma.q, model.gammaGamma.v], [p, q, v], 1e-6, 'gammaGamma');
    expectRelative(
      [model.fit.bgNbdLogLikelihood, model.fit.gammaGammaLogLikelihood],
      [fixture.bgnbd.logLikelihood, fixture.gammaGamma.logLikelihood],
      1e-10,
      'logLikelihood',
    );
    expect(model.fit.repeatCustomers).toBe(fixture.gammaGamma.customers);
  });

  it.each([90, 365])('predicts the same transactions and CLV per customer over %p days (1e-6 relative)', (horizonDays) => {
    const expected = fixture.horizons.find((horizon) => horizon.horizonDays === horizonDays);
    if (!expected) throw new Error(`the fixture has no ${horizonDays}-day horizon`);
    const predictions = predictClv(model, summaries, { horizonDays });
    expectRelative(
      predictions.map((prediction) => prediction.expectedTransactions),
      expected.expectedTransactions,
      1e-6,
      'expectedTransactions',
    );
    expectRelative(
      predictions.map((prediction) => prediction.clv),
      expected.clv,
      1e-6,
      'clv',
    );
  });

  it('predicts the same P(alive), spend per transaction and discounted CLV per customer (1e-6 relative)', () => {
    const { horizonDays, monthlyDiscountRate } = fixture.discounted;
    const predictions = predictClv(model, summaries, { horizonDays, monthlyDiscountRate });
    expectRelative(
      predictions.map((prediction) => prediction.probabilityAlive),
      fixture.pAlive,
      1e-6,
      'pAlive',
    );
    expectRelative(
      predictions.map((prediction) => prediction.expectedAverageSpend),
      fixture.expectedSpend,
      1e-6,
      'expectedSpend',
    );
    expectRelative(
      predictions.map((prediction) => prediction.clv),
      fixture.discounted.clv,
      1e-6,
      'discounted clv',
    );
  });

  it('does not depend on the order of the rows', () => {
    const reversed = summarizeOrders([...lines].reverse());
    expect(reversed).toEqual(summaries);
    expect(fitClvModel(reversed)).toEqual(model);
  });

  it('cuts tiers by predicted value, highest values on top', () => {
    const predictions = predictClv(model, summaries, { horizonDays: 90 });
    const { tiers, counts, thresholds } = clvTiers(predictions, { topShare: 0.2, bottomShare: 0.5 });
    expect(counts.top + counts.middle + counts.bottom).toBe(summaries.length);
    expect(counts.top).toBeGreaterThanOrEqual(Math.ceil(0.2 * summaries.length));
    predictions.forEach((prediction, i) => expect(tiers[i] === 'top').toBe(prediction.clv >= thresholds.top));
  });
});

describe('BG/NBD and Gamma-Gamma', () => {
  const customer = (frequency: number, recency: number, age: number, monetary = 0): CustomerSummary => ({
    customerId: 'c',
    frequency,
    recency,
    age,
    monetary,
  });

  it('reproduces the published CDNOW example (FHL 2005): x=2, t_x=30.43, T=38.86 weeks -> 1.226 in 39 weeks', () => {
    const fixture = readClvFixture();
    const [r, alpha, a, b] = fixture.cdnowCheck.params;
    const expected = expectedTransactions({ r, alpha, a, b }, customer(2, 30.43, 38.86), 39);
    expect(expected).toBeCloseTo(1.226, 3);
    expectRelative([expected], [fixture.cdnowCheck.expected], 1e-12, 'cdnow');
  });

  it('gives more expected transactions and a lower P(alive) to a customer silent for longer', () => {
    const parameters = { r: 0.78, alpha: 81, a: 0.056, b: 79 };
    const recent = customer(5, 300, 310);
    const silent = customer(5, 100, 310);
    expect(probabilityAlive(parameters, recent)).toBeGreaterThan(probabilityAlive(parameters, silent));
    expect(expectedTransactions(parameters, recent, 90)).toBeGreaterThan(expectedTransactions(parameters, silent, 90));
    expect(probabilityAlive(parameters, customer(0, 0, 310))).toBe(1);
    expect(expectedTransactions(parameters, recent, 0)).toBe(0);
  });

  it('refuses a likelihood without an interior maximum: customer-days of the sample (nobody drops out)', () => {
    // One order per customer-day: the BG/NBD likelihood keeps rising as a -> 0, b -> infinity.
    const days = onlineRetailOrderLines().map((line) => ({
      ...line,
      orderId: String(Math.floor(line.time / MS_PER_DAY)),
      time: Math.floor(line.time / MS_PER_DAY) * MS_PER_DAY,
    }));
    const error = thrownBy(ClvException, () => fitBgNbd(summarizeOrders(days)));
    expect(error.code).toBe('not_converged');
    expect(error.field).toBe('bgnbd');
  });

  it('names the customer and the reason for unusable input', () => {
    const refund = thrownBy(ClvException, () => summarizeOrders([{ customerId: '12345', orderId: 'C1', time: 0, amount: -3 }]));
    expect(refund.code).toBe('invalid_input');
    expect(refund.field).toBe('customer 12345');
    const summary = thrownBy(ClvException, () =>
      fitGammaGamma([customer(1, 5, 10, 0), customer(2, 5, 10, 3)].map((c, i) => ({ ...c, customerId: `c${i}` }))),
    );
    expect(summary.field).toBe('customer c0');
    expect(thrownBy(ClvException, () => fitBgNbd([customer(0, 0, 5)])).code).toBe('too_few_customers');
  });

  it('refuses a negative horizon or discount rate, naming the option', () => {
    const model = {
      kind: 'bgnbd-gamma-gamma',
      version: 1,
      timeUnit: 'day',
      bgNbd: { r: 0.78, alpha: 81, a: 0.056, b: 79 },
      gammaGamma: { p: 1.9, q: 3.1, v: 48 },
      fit: { customers: 2, repeatCustomers: 2, bgNbdLogLikelihood: 0, gammaGammaLogLikelihood: 0 },
    } as const;
    expect(thrownBy(ClvException, () => predictClv(model, [], { horizonDays: -1 })).field).toBe('horizonDays');
    expect(thrownBy(ClvException, () => predictClv(model, [], { horizonDays: 30, monthlyDiscountRate: Number.NaN })).field).toBe(
      'monthlyDiscountRate',
    );
  });
});
