import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { Definition, StoredClvModel, StoredPropensityModel } from '../types';
import { ModelCharts } from './model-charts';

// The fitted model as libs/segments-domain's clv segment stores it (the parameters of the retail fit).
const clvModel: StoredClvModel = {
  kind: 'clv',
  fittedAt: '2026-12-07T12:00:00.000Z',
  horizonDays: 365,
  monthlyDiscountRate: 0.01,
  profiles: 3546,
  model: {
    kind: 'bgnbd-gamma-gamma',
    bgNbd: { r: 0.78459, alpha: 81.41, a: 0.05616, b: 79.419 },
    gammaGamma: { p: 1.8738, q: 3.062, v: 48.142 },
    fit: { customers: 3546, repeatCustomers: 2057, bgNbdLogLikelihood: -1, gammaGammaLogLikelihood: -1 },
  },
  thresholds: { top: 1234.5, bottom: 56.75 },
  tierCounts: { top: 355, middle: 2836, bottom: 355 },
  notes: ['customers without an order are not scored'],
};

describe('ModelCharts', () => {
  it('draws a lifetime-value model (parameters, horizon, thresholds, tiers) instead of a propensity chart', () => {
    const html = renderToStaticMarkup(createElement(ModelCharts, { model: clvModel }));
    expect(html).toContain('365 days');
    expect(html).toContain('2,057 with repeat orders');
    expect(html).toContain('r 0.7846');
    expect(html).toContain('v 48.1420');
    expect(html).toContain('top ≥ 1234.50');
    expect(html).toContain('customers without an order are not scored');
    expect(html).not.toContain('AUC');
  });

  // A churn model as the API stores it (numbers of the retail-sample churn spec), and its definition.
  const churnModel: StoredPropensityModel = {
    kind: 'propensity',
    fittedAt: '2026-12-07T12:00:00.000Z',
    cutoff: '2011-09-01T00:00:00.000Z',
    profiles: 2613,
    positives: 1300,
    heldOutAuc: 0.7445,
    trainAuc: 0.76,
    tierCounts: { top: 523, middle: 784, bottom: 1306 },
    calibration: { bins: [{ bin: 0, count: 10, meanPredicted: 0.5, observedRate: 0.5 }], brierScore: 0.2, expectedCalibrationError: 0.01 },
    weights: [{ feature: 'recency_days', standardised: 0.9, oddsRatioPerStd: 2.46 }],
    notes: [],
  };
  const propensity = (outcome: Record<string, unknown>): Definition => ({
    type: 'propensity',
    population: 'all',
    features: [{ source: 'recency_days' }],
    outcome,
    tier: 'top',
  });

  it('says a churn model predicts NOT performing the event, among the active, top = highest risk', () => {
    const definition = propensity({
      kind: 'churn',
      event: 'Order Completed',
      withinDays: 90,
      active: { lookbackDays: 365, events: 'outcome_event' },
    });
    const html = renderToStaticMarkup(createElement(ModelCharts, { model: churnModel, definition }));
    expect(html).toContain('<strong>churn</strong>');
    expect(html).toContain('did <strong>not</strong> perform “Order Completed” within 90 days after the cutoff');
    expect(html).toContain('2011');
    expect(html).toContain('among profiles active (with “Order Completed” events) in the 365 days before');
    expect(html).toContain('Top tier = highest churn risk');
    expect(html).toContain('1,300 churned of 2,613 active');
    expect(html).not.toContain('positives');
  });

  it('says what a performed-outcome model predicts, and keeps "positives"', () => {
    const definition = propensity({ kind: 'performed', event: 'Order Completed', withinDays: 30 });
    const html = renderToStaticMarkup(createElement(ModelCharts, { model: churnModel, definition }));
    expect(html).toContain('Outcome: performed “Order Completed” within 30 days after the cutoff');
    expect(html).toContain('1,300 positives of 2,613');
    expect(html).not.toContain('churn');
  });
});
