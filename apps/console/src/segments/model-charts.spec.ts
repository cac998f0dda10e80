import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { StoredClvModel } from '../types';
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
});
