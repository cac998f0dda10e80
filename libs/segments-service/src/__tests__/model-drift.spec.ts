import { parseSegmentDefinition, type PropensityDefinition, rocAuc } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ModelSegmentsService, type StoredPropensityModel } from '../model-segments.service';
import { SegmentDefinitionGate } from '../segment-definition.gate';
import { SegmentsException } from '../segments.exception';
import { SegmentsService } from '../segments.service';
import { insertProfilesWithTraits } from './model-fixtures';

/**
 * Drift of propensity models (#21) on a real Postgres: the reference stored at fit, PSI of each
 * feature and of the score now, and the AUC of the stored model on outcomes observed since the fit.
 *
 * 400 profiles; profile i has v = i % 10 events per 30-day period. Fit at FIT_TIME with the cutoff
 * 30 days before: training features = events in (Dec 2, Jan 1], outcome in (Jan 1, Jan 31]. The
 * profiles scored at the fit (features in (Jan 1, Jan 31]) have their outcome in (Jan 31, Mar 2].
 * Drift is measured at LATER: features in (Feb 18, Mar 20].
 */
const CUTOFF = '2026-01-01T00:00:00Z';
const FIT_TIME = new Date('2026-01-31T00:00:00Z');
const LATER = new Date('2026-03-20T00:00:00Z');
const PROFILES = 400;

jest.setTimeout(120_000);

describe('propensity model drift', () => {
  let db: TestDatabase;
  let segments: SegmentsService;
  let ids: string[];
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const card = (key: string, definition: Record<string, unknown>) => ({
    key,
    name: key,
    description: '',
    owner: 'test',
    refreshCadence: 'manual',
    kpi: null,
    status: 'active' as const,
    qualityThresholds: { minSize: 1, maxChurn: 10 },
    definition,
  });
  const visits = (i: number) => i % 10;
  /** Profiles with (i·7 mod 10) < v: more events, more likely (the same rule in every window). */
  const likely = (i: number) => (i * 7) % 10 < visits(i);
  /** The reverse: fewer events, more likely. */
  const reversed = (i: number) => (i * 7) % 10 < 9 - visits(i);
  const definition = (feature: string, outcome: string, extra: Record<string, unknown> = {}) => ({
    type: 'propensity',
    population: 'all',
    tier: 'top',
    seed: 3,
    cutoff: CUTOFF,
    window: 'last 30 days',
    outcome: { event: outcome, withinDays: 30 },
    features: [
      { source: 'event_count', event: feature },
      { source: 'trait', trait: 'plan', kind: 'categorical' },
    ],
    ...extra,
  });
  /** `perProfile(i)` events named `name` for profile i at `at`. */
  async function insertEvents(name: string, at: string, perProfile: (i: number) => number, tag: string): Promise<void> {
    const counts = ids.map((_, i) => perProfile(i));
    await query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp)
       SELECT $2 || ':' || p.id || ':' || n, p.id, 'track', $1, $3::timestamptz
         FROM unnest($4::uuid[], $5::int[]) AS p(id, count), generate_series(1, p.count) AS n`,
      [name, `${name}:${tag}`, at, ids, counts],
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    segments = new SegmentsService(db.dataSource, new SegmentDefinitionGate());
    const plans = ['basic', 'pro', 'team'];
    const order = await insertProfilesWithTraits(
      db.dataSource,
      Array.from({ length: PROFILES }, (_, i) => ({ plan: plans[i % 3] })),
      'drift',
    );
    ids = [...order].sort((a, b) => a.index - b.index).map((row) => row.id);
    for (const event of ['Visit', 'Login']) {
      for (const [at, tag] of [
        ['2025-12-15T00:00:00Z', 'dec'],
        ['2026-01-15T00:00:00Z', 'jan'],
        ['2026-03-10T00:00:00Z', 'mar'],
      ])
        await insertEvents(event, at, visits, tag);
    }
    // Outcomes in the training window (Jan) and in the window after the fit (Feb).
    await insertEvents('Purchase', '2026-01-20T00:00:00Z', (i) => (likely(i) ? 1 : 0), 'jan');
    await insertEvents('Purchase', '2026-02-20T00:00:00Z', (i) => (likely(i) ? 1 : 0), 'feb');
    await insertEvents('Upgrade', '2026-01-20T00:00:00Z', (i) => (likely(i) ? 1 : 0), 'jan');
    await insertEvents('Upgrade', '2026-02-20T00:00:00Z', (i) => (reversed(i) ? 1 : 0), 'feb');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores the reference distributions with the version, from the training rows', async () => {
    const segment = await segments.create(card('stable-visitors', definition('Visit', 'Purchase')), null, FIT_TIME);
    const [{ model }] = await query<{ model: StoredPropensityModel }>(`SELECT model FROM segment_versions WHERE segment_id = $1`, [
      segment.id,
    ]);
    expect(model.drift?.features.map((f) => [f.feature, f.kind, f.rows])).toEqual([
      ['count_Visit', 'numeric', PROFILES],
      ['plan', 'categorical', PROFILES],
    ]);
    // v = 0..9, 40 profiles each: numpy deciles of that sample are 0.9, 1.8, ..., 8.1 → one value per bin.
    const visit = model.drift?.features[0];
    expect(visit?.kind === 'numeric' && visit.edges).toEqual(
      [0.9, 1.8, 2.7, 3.6, 4.5, 5.4, 6.3, 7.2, 8.1].map((e) => expect.closeTo(e, 12)),
    );
    expect(visit?.shares).toEqual([...new Array(10).fill(0.1), 0].map((s) => expect.closeTo(s, 12)));
    const plan = model.drift?.features[1];
    expect(plan?.kind === 'categorical' && [...plan.levels].sort()).toEqual(['basic', 'pro', 'team']);
    expect(model.drift?.score.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('says why there is no PSI for a version fitted before references were stored', async () => {
    const segment = await segments.create(card('old-version', definition('Visit', 'Purchase')), null, FIT_TIME);
    const [{ model, definition: stored }] = await query<{ model: StoredPropensityModel; definition: unknown }>(
      `SELECT model, definition FROM segment_versions WHERE segment_id = $1`,
      [segment.id],
    );
    // Versions are immutable in the database: the model as stored before #21 is given to the service directly.
    const { drift: _reference, ...before21 } = model;
    const drift = await new ModelSegmentsService().drift(
      db.dataSource.manager,
      parseSegmentDefinition(stored) as PropensityDefinition,
      before21,
      LATER,
    );
    expect(drift.psi).toEqual({ available: false, reason: expect.stringContaining('refit it to measure PSI') });
    expect(drift.auc.available).toBe(true);
  });

  it('scored and binned in chunks (the event loop turns between them), gives exactly the report of one pass', async () => {
    const segment = await segments.create(card('chunked', definition('Visit', 'Upgrade')), null, FIT_TIME);
    const [{ model, definition: stored }] = await query<{ model: StoredPropensityModel; definition: unknown }>(
      `SELECT model, definition FROM segment_versions WHERE segment_id = $1`,
      [segment.id],
    );
    const parsed = parseSegmentDefinition(stored) as PropensityDefinition;
    const service = new ModelSegmentsService();
    const onePass = await service.drift(db.dataSource.manager, parsed, model, LATER, PROFILES);
    const chunked = await service.drift(db.dataSource.manager, parsed, model, LATER, 37);
    expect(onePass.auc.available && onePass.psi.available).toBe(true);
    expect(chunked).toEqual(onePass);
  });

  it('says why there is no AUC before the outcome window after the fit has closed', async () => {
    const segment = await segments.create(card('early', definition('Visit', 'Purchase')), null, FIT_TIME);
    const drift = await segments.drift(segment.id, new Date('2026-02-10T00:00:00Z'));
    expect(drift.auc).toEqual({
      available: false,
      reason: expect.stringContaining('closes at 2026-03-02T00:00:00.000Z'),
      windowClosesAt: '2026-03-02T00:00:00.000Z',
    });
  });

  it('no shift: PSI 0 on every feature and the score, AUC since the fit = the rule, nothing flagged', async () => {
    const segment = await segments.create(card('stable', definition('Visit', 'Purchase')), null, FIT_TIME);
    const drift = await segments.drift(segment.id, LATER);
    expect(drift).toMatchObject({ version: 1, psiThreshold: 0.2, aucFloor: 0.6, flags: [], flagged: false });
    if (!drift.psi.available) throw new Error(drift.psi.reason);
    expect(drift.psi.rows).toBe(PROFILES);
    expect(drift.psi.features.map((f) => [f.feature, f.psi, f.flagged])).toEqual([
      ['count_Visit', 0, false],
      ['plan', 0, false],
    ]);
    expect(drift.psi.score).toMatchObject({ psi: 0, flagged: false });
    if (!drift.auc.available) throw new Error(drift.auc.reason);
    // The same model scores v and plan; the outcome in (Jan 31, Mar 2] follows the training rule.
    const positives = ids.filter((_, i) => likely(i)).length;
    expect(drift.auc).toMatchObject({ profiles: PROFILES, positives, windowClosedAt: '2026-03-02T00:00:00.000Z', flagged: false });
    expect(drift.auc.auc).toBeGreaterThan(0.8);
  });

  it('churn: the AUC since the fit is on the profiles active before the fit time, labelled by no outcome event in the window after it', async () => {
    // Active = any event in the 30 days before: profiles with v ≥ 1 (those with v = 0 have no event at all).
    const churn = definition('Visit', 'Purchase', {
      outcome: { kind: 'churn', event: 'Purchase', withinDays: 30, active: { lookbackDays: 30, events: 'any_event' } },
    });
    const segment = await segments.create(card('churners', churn), null, FIT_TIME);
    const drift = await segments.drift(segment.id, LATER);
    if (!drift.psi.available || !drift.auc.available) throw new Error('drift not measured');
    const active = ids.map((_, i) => i).filter((i) => visits(i) >= 1);
    // Scored now: the profiles active in the 30 days before LATER — all 400, since the 40 with v = 0
    // have an "Upgrade" on Feb 20 (any event counts). Their 0 visits land in the first bin (≤ 1),
    // 1/9 of the training rows and 0.2 now: a small shift, below 0.2.
    expect(drift.psi.rows).toBe(PROFILES);
    const expectedPsi = (0.2 - 1 / 9) * Math.log(0.2 * 9) + 8 * (0.1 - 1 / 9) * Math.log(0.1 * 9);
    expect(drift.psi.features[0]).toMatchObject({ feature: 'count_Visit', psi: expect.closeTo(expectedPsi, 10), flagged: false });
    // Churned = no purchase in (Jan 31, Mar 2] among the active at the fit time.
    expect(drift.auc).toMatchObject({ profiles: active.length, positives: active.filter((i) => !likely(i)).length, flagged: false });
    // The rows at the fit time are the training rows again (v visits, same plan, same rule), so the AUC
    // is what the model reaches on its own training population (0.7964 here), above the floor 0.6.
    expect(drift.auc.auc).toBeGreaterThan(0.75);
    expect(drift.flagged).toBe(false);
  });

  it('a shifted feature raises its PSI and the score PSI above the threshold; reversed outcomes put the AUC under the floor', async () => {
    const segment = await segments.create(card('shifting', definition('Login', 'Upgrade')), null, FIT_TIME);
    const before = await segments.drift(segment.id, LATER);
    if (!before.psi.available || !before.auc.available) throw new Error('drift not measured');
    expect(before.psi.features.every((f) => f.psi === 0 && !f.flagged)).toBe(true);
    // The outcome after the fit is the reverse of what the model learned.
    expect(before.auc.auc).toBeLessThan(0.5);
    expect(before.auc.flagged).toBe(true);
    expect(before.flags).toEqual([expect.stringMatching(/^AUC since the fit 0\.\d{4} < floor 0\.6$/)]);

    // Every profile logs in 5 more times in March.
    await insertEvents('Login', '2026-03-11T00:00:00Z', () => 5, 'mar-extra');
    const mid = await segments.drift(segment.id, LATER);
    // The AUC since the fit reads event features as of the fit time: the March events do not change it.
    if (!mid.auc.available) throw new Error(mid.auc.reason);
    expect(mid.auc.auc).toBe(before.auc.auc);
    // 40 % move to a plan not seen at fit time (a trait keeps no history: read as it is now, at any time).
    await query(`UPDATE profiles SET traits = traits || '{"plan":"enterprise"}' WHERE id = ANY($1::uuid[])`, [
      ids.filter((_, i) => i % 5 < 2),
    ]);
    const after = await segments.drift(segment.id, LATER);
    if (!after.psi.available) throw new Error(after.psi.reason);
    const [login, plan] = after.psi.features;
    // Now v + 5 (5..14): the 5 bins up to 4.5 are empty (ε), the bins of 5, 6, 7, 8 hold 0.1 each, the top bin (> 8.1) 0.6.
    const eps = 1e-4;
    const expectedLoginPsi = 5 * (eps - 0.1) * Math.log(eps / 0.1) + (0.6 - 0.1) * Math.log(0.6 / 0.1);
    expect(login.psi).toBeCloseTo(expectedLoginPsi, 10);
    expect(login.flagged).toBe(true);
    expect(plan.bins.find((bin) => bin.label === '(other)')).toEqual({ label: '(other)', expected: 0, actual: 0.4 });
    expect(plan.flagged).toBe(true);
    expect(after.psi.score.flagged).toBe(true);
    expect(after.flags).toEqual([
      expect.stringMatching(/^feature count_Login: PSI \d+\.\d{4} > 0\.2$/),
      expect.stringMatching(/^feature plan: PSI \d+\.\d{4} > 0\.2$/),
      expect.stringMatching(/^score: PSI \d+\.\d{4} > 0\.2$/),
      expect.stringMatching(/^AUC since the fit/),
    ]);
  });

  it('AUC since the fit equals rocAuc of the stored model on the fit-time rows (checked by hand scoring)', async () => {
    const segment = await segments.create(card('by-hand', definition('Visit', 'Purchase', { drift: { aucFloor: 0.99 } })), null, FIT_TIME);
    const drift = await segments.drift(segment.id, LATER);
    if (!drift.auc.available) throw new Error(drift.auc.reason);
    const [{ model }] = await query<{ model: StoredPropensityModel }>(`SELECT model FROM segment_versions WHERE segment_id = $1`, [
      segment.id,
    ]);
    // Score by hand from the stored coefficients: features as of FIT_TIME are v (Jan events) and the plan (the trait before the update above is restored here).
    const plans = ['basic', 'pro', 'team'];
    const scores = ids.map((_, i) => {
      let z = model.model.intercept;
      model.model.preprocessor.features.forEach((feature, j) => {
        const plan = i % 5 < 2 ? 'enterprise' : plans[i % 3];
        const raw = feature.oneHot
          ? 'level' in feature.oneHot
            ? Number(plan === feature.oneHot.level)
            : 'other' in feature.oneHot
              ? Number(!plans.includes(plan))
              : 0
          : visits(i);
        z += ((raw - feature.center) / feature.scale) * model.model.coefficients[j];
      });
      return 1 / (1 + Math.exp(-z));
    });
    expect(drift.auc.auc).toBeCloseTo(
      rocAuc(
        scores,
        ids.map((_, i) => (likely(i) ? 1 : 0)),
      ),
      12,
    );
    // drift.aucFloor overrides the publication floor for the flag.
    expect(drift).toMatchObject({ aucFloor: 0.99, flagged: true });
    expect(drift.auc.flagged).toBe(true);
  });

  it('changing only the drift settings is a new version with the same model (no refit), measured with the new threshold', async () => {
    const segment = await segments.create(card('retuned', definition('Visit', 'Purchase')), null, FIT_TIME);
    await segments.update(
      segment.id,
      { definition: definition('Visit', 'Purchase', { drift: { psiThreshold: 0.5, aucFloor: 0.7 } }) },
      null,
      LATER,
    );
    const models = await query<{ version: number; model: StoredPropensityModel }>(
      `SELECT version, model FROM segment_versions WHERE segment_id = $1 ORDER BY version`,
      [segment.id],
    );
    expect(models.map((row) => row.version)).toEqual([1, 2]);
    expect(models[1].model).toEqual(models[0].model);
    const drift = await segments.drift(segment.id, LATER);
    expect(drift).toMatchObject({ version: 2, fittedAt: FIT_TIME.toISOString(), psiThreshold: 0.5, aucFloor: 0.7 });
  });

  it('refuses bad drift settings with a 400 naming the field, and drift of a segment without a propensity model', async () => {
    for (const [drift, path] of [
      [{ psiThreshold: 0 }, 'definition.drift.psiThreshold'],
      [{ aucFloor: 1.5 }, 'definition.drift.aucFloor'],
      [{ psi: 0.2 }, 'definition.drift'],
    ] as const) {
      const refusal = await segments
        .create(card(`bad-${path.length}-${Object.keys(drift)[0]}`, definition('Visit', 'Purchase', { drift })), null, FIT_TIME)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refusal).toBeInstanceOf(SegmentsException);
      expect((refusal as SegmentsException).details?.map((d) => d.path)).toContain(path);
    }
    const rules = await segments.create(
      card('rules', { type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } }),
      null,
      FIT_TIME,
    );
    await expect(segments.drift(rules.id, LATER)).rejects.toMatchObject({ code: 'not_a_model_segment' });
  });
});
