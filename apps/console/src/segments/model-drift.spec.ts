import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { DriftTable, type ModelDrift } from './model-drift';

// As GET /segments/:id/drift answers (shape of libs/segments-service ModelDriftView).
const drift: ModelDrift = {
  segmentId: 'seg-1',
  version: 3,
  fittedAt: '2026-01-31T00:00:00.000Z',
  cutoff: '2026-01-01T00:00:00.000Z',
  measuredAt: '2026-03-20T00:00:00.000Z',
  psiThreshold: 0.2,
  aucFloor: 0.6,
  psi: {
    available: true,
    psiThreshold: 0.2,
    rows: 1234,
    features: [
      {
        feature: 'count_Login',
        kind: 'numeric',
        psi: 2.71828,
        flagged: true,
        bins: [
          { label: '≤ 0.9', expected: 0.1, actual: 0 },
          { label: '> 0.9', expected: 0.9, actual: 1 },
          { label: '(missing)', expected: 0, actual: 0 },
        ],
      },
      { feature: 'plan', kind: 'categorical', psi: 0.0123, flagged: false, bins: [{ label: 'pro', expected: 1, actual: 1 }] },
    ],
    score: { psi: 0.4567, flagged: true, bins: [{ label: '(all values)', expected: 1, actual: 1 }] },
  },
  auc: { available: true, auc: 0.4321, profiles: 400, positives: 120, windowClosedAt: '2026-03-02T00:00:00.000Z', flagged: true },
  flags: ['feature count_Login: PSI 2.7183 > 0.2', 'score: PSI 0.4567 > 0.2', 'AUC since the fit 0.4321 < floor 0.6'],
  flagged: true,
};

const rowOf = (html: string, name: string) => {
  const match = html.match(new RegExp(`<tr data-flagged="(true|false)"><th scope="row">${name}[^]*?</tr>`));
  if (!match) throw new Error(`no row for ${name}`);
  return match;
};

describe('DriftTable', () => {
  it('shows each feature and the score with its PSI and a flag, the AUC since the fit against the floor, and the flags', () => {
    const html = renderToStaticMarkup(createElement(DriftTable, { drift }));
    expect(html).toContain(
      'Drift flagged: feature count_Login: PSI 2.7183 &gt; 0.2; score: PSI 0.4567 &gt; 0.2; AUC since the fit 0.4321 &lt; floor 0.6',
    );
    const login = rowOf(html, 'count_Login');
    expect(login[1]).toBe('true');
    expect(login[0]).toContain('2.7183');
    expect(login[0]).toContain('drifted');
    const plan = rowOf(html, 'plan');
    expect(plan[1]).toBe('false');
    expect(plan[0]).toContain('0.0123');
    expect(plan[0]).toContain('stable');
    expect(rowOf(html, 'score')[0]).toContain('0.4567');
    expect(html).toContain('PSI (flag &gt; 0.2)');
    expect(html).toContain('AUC since the fit: <strong>0.432</strong> (floor 0.6) on 400 profiles, 120 positive');
    expect(html).toContain('1,234 profiles now');
  });

  it('says why a measure is not available instead of a number', () => {
    const html = renderToStaticMarkup(
      createElement(DriftTable, {
        drift: {
          ...drift,
          psi: { available: false, reason: 'this version was fitted before reference distributions were stored; refit it to measure PSI' },
          auc: { available: false, reason: 'no outcome observed since the fit yet', windowClosesAt: '2026-03-02T00:00:00.000Z' },
          flags: [],
          flagged: false,
        },
      }),
    );
    expect(html).toContain('No drift flagged');
    expect(html).toContain(
      'PSI not available: this version was fitted before reference distributions were stored; refit it to measure PSI',
    );
    expect(html).toContain('AUC since the fit not available: no outcome observed since the fit yet');
    expect(html).not.toContain('<table aria-label="Population stability"');
  });
});
