import { metricRows } from './model-fits';

describe('metricRows (the model-fits card: this version beside the previous one)', () => {
  it('shows a clv refit beside the version it replaced: customers, repeat customers, likelihoods, horizon, top threshold', () => {
    const previous = {
      kind: 'clv',
      fittedAt: '2026-12-01T03:00:00.000Z',
      profiles: 3546,
      repeatCustomers: 2057,
      bgNbdLogLikelihood: -30123.45,
      gammaGammaLogLikelihood: -15000.04,
      horizonDays: 90,
      thresholds: { top: 1234.5, bottom: 56.75 },
    };
    const current = {
      ...previous,
      fittedAt: '2026-12-07T03:00:00.000Z',
      profiles: 3600,
      repeatCustomers: 2100,
      thresholds: { top: 1300, bottom: 60 },
    };
    const rows = metricRows(current, previous);
    const byLabel = new Map(rows.map(([label, now, before]) => [label, [now, before]]));
    expect(byLabel.get('Customers')).toEqual(['3,600', '3,546']);
    expect(byLabel.get('Repeat customers')).toEqual(['2,100', '2,057']);
    expect(byLabel.get('BG/NBD log-likelihood')).toEqual(['-30123.5', '-30123.5']);
    expect(byLabel.get('Horizon (days)')).toEqual(['90', '90']);
    expect(byLabel.get('Top tier from (value)')).toEqual(['1300.00', '1234.50']);
    expect(byLabel.has('Held-out AUC')).toBe(false);
  });

  it('keeps the propensity rows for a propensity version', () => {
    const rows = metricRows(
      { kind: 'propensity', fittedAt: '2026-12-07T03:00:00.000Z', profiles: 100, heldOutAuc: 0.81, trainAuc: 0.83, positives: 20 },
      null,
    );
    expect(rows.map(([label]) => label)).toEqual(['Profiles', 'Fitted', 'Held-out AUC', 'Train AUC', 'Positives']);
    expect(rows[2]).toEqual(['Held-out AUC', '0.810', '—']);
  });
});
